//! Time `pixelize` on one image: best and median of N runs (one core).
//!
//! `cargo run --release -p pixelize --example timing -- [RUNS] [IMAGE.png] [--auto | --compare]` —
//! without an image, a corrupted synthetic 768² picture (harsh setting); with one, that real
//! picture (centre-cropped to a square like the pipeline does). `--auto` times [`pixelize_auto`]
//! instead; `--compare` times both, alternating run by run, so that a busy machine slows both alike.

use pixelize::synth::{corrupt, truth, Corruption};
use pixelize::{pixelize, pixelize_auto, Options, PixelizeError, Pixelized};
use std::time::Instant;

type Run = fn(&[u8], u32, u32, &Options) -> Result<Pixelized, PixelizeError>;

fn main() {
    let flag = |f: &str| std::env::args().any(|a| a == f);
    let (auto, compare) = (flag("--auto"), flag("--compare"));
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let (img, w, h) = match args.get(1).cloned() {
        Some(path) => {
            let img = image::open(&path).unwrap_or_else(|e| panic!("{path}: {e}")).to_rgb8();
            let (w, h) = img.dimensions();
            (img.into_raw(), w, h)
        }
        None => (corrupt(&truth(1, 96, 12), 8, &Corruption::harsh(), 1), 768, 768),
    };
    let modes: Vec<(&str, Run)> = if compare {
        vec![("fixed", pixelize as Run), ("auto", pixelize_auto as Run)]
    } else if auto {
        vec![("auto", pixelize_auto as Run)]
    } else {
        vec![("fixed", pixelize as Run)]
    };
    let mut ms: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); modes.len()];
    for _ in 0..runs {
        for ((_, run), times) in modes.iter().zip(ms.iter_mut()) {
            let t0 = Instant::now();
            let art = run(&img, w, h, &Options::default()).expect("pixelize");
            std::hint::black_box(art);
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
    }
    for ((mode, _), times) in modes.iter().zip(ms.iter_mut()) {
        times.sort_by(|a, b| a.total_cmp(b));
        println!("{w}x{h} ({mode}): best {:.2} ms, median {:.2} ms over {runs} runs", times[0], times[runs / 2]);
    }
}
