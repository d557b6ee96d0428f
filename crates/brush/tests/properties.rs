//! Property tests: exactly-once coverage, final-frame equality, duration bound, determinism.

mod common;

use brush::{plan, BrushOptions};
use pixelize::synth::Rng;
use pixelize::Pixelized;
use proptest::prelude::*;

/// A random picture: a few rectangles, lines and dots over a background, or plain noise.
fn picture(seed: u64, size: u32, colors: usize, noise: bool) -> Pixelized {
    let mut rng = Rng::new(seed);
    let palette: Vec<[u8; 3]> =
        (0..colors).map(|_| [rng.int(0, 255) as u8, rng.int(0, 255) as u8, rng.int(0, 255) as u8]).collect();
    // Distinct colours (the planner merges equal ones, which the checks would also accept).
    let mut palette = palette;
    palette.sort_unstable();
    palette.dedup();
    let k = palette.len() as i32;
    let n = size as i32;
    let mut idx = vec![0u8; (n * n) as usize];
    if noise {
        idx.iter_mut().for_each(|v| *v = rng.int(0, k - 1) as u8);
    } else {
        for _ in 0..rng.int(0, 12) {
            let c = rng.int(0, k - 1) as u8;
            let (x0, y0) = (rng.int(0, n - 1), rng.int(0, n - 1));
            let (w, h) = (rng.int(1, n), rng.int(1, n));
            for y in y0..(y0 + h).min(n) {
                for x in x0..(x0 + w).min(n) {
                    idx[(y * n + x) as usize] = c;
                }
            }
        }
        for _ in 0..rng.int(0, 20) {
            let (x, y) = (rng.int(0, n - 1), rng.int(0, n - 1));
            idx[(y * n + x) as usize] = rng.int(0, k - 1) as u8;
        }
    }
    Pixelized::from_indexed(size, palette, idx).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn plans_cover_once_match_the_picture_and_the_duration(
        seed in any::<u64>(), size in 1u32..=96, colors in 1usize..=16, noise in any::<bool>(),
        duration_ms in 1_000u64..=120_000,
    ) {
        let art = picture(seed, size, colors, noise);
        let opts = BrushOptions { duration_ms, caption: "All for you".into() };
        let doc = plan(&art, &opts);
        common::check_plan(&art, &doc, duration_ms);
        prop_assert_eq!(plan(&art, &opts), doc);
    }
}
