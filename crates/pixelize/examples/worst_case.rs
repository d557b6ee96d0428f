//! Time `pixelize` on inputs that are not pixel art at all (a noisy gradient, white noise), where
//! the palette clustering has the most work.
//!
//! `cargo run --release -p pixelize --example worst_case` (each case also with [`pixelize_auto`],
//! the same number of colours as the ceiling).

use pixelize::synth::Rng;
use pixelize::{pixelize, pixelize_auto, Options, PixelizeError, Pixelized};
use std::time::Instant;

fn main() {
    let mut rng = Rng::new(7);
    let mut gradient = Vec::with_capacity(768 * 768 * 3);
    let mut noise = Vec::with_capacity(768 * 768 * 3);
    for y in 0..768u32 {
        for x in 0..768u32 {
            let n = (rng.gauss() * 6.0) as i32;
            gradient.push(((x * 255 / 767) as i32 + n).clamp(0, 255) as u8);
            gradient.push(((y * 255 / 767) as i32 - n).clamp(0, 255) as u8);
            gradient.push((((x + y) * 255 / 1534) as i32 + n).clamp(0, 255) as u8);
            for _ in 0..3 {
                noise.push(rng.int(0, 255) as u8);
            }
        }
    }
    let cases =
        [("noisy gradient", &gradient, 12), ("white noise", &noise, 12), ("white noise, 256 colours", &noise, 256)];
    for (name, img, colors) in cases {
        type Run = fn(&[u8], u32, u32, &Options) -> Result<Pixelized, PixelizeError>;
        for (mode, run) in [("", pixelize as Run), (" (auto)", pixelize_auto as Run)] {
            let t0 = Instant::now();
            let art = run(img, 768, 768, &Options { size: 96, colors }).expect("pixelize");
            println!(
                "{name}{mode}: {:.1} ms, grid {} (z {:.1}/{:.1}), {} colours",
                t0.elapsed().as_secs_f64() * 1e3,
                art.quality.grid,
                art.quality.grid_score_x,
                art.quality.grid_score_y,
                art.palette.len()
            );
        }
    }
}
