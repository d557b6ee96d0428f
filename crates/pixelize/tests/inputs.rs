//! Invariants and awkward inputs: never a panic, always exactly size×size cells and ≤ N colours.

use pixelize::synth::{corrupt, truth, Corruption, Rng};
use pixelize::{pixelize, pixelize_auto, Options, PixelizeError, MAX_PIXELS};
use proptest::prelude::*;

fn check_invariants(art: &pixelize::Pixelized, opts: &Options) {
    let n = opts.size as usize;
    assert_eq!(art.size, opts.size);
    assert_eq!(art.indices.len(), n * n);
    assert!(!art.palette.is_empty() && art.palette.len() <= opts.colors);
    let mut used = vec![false; art.palette.len()];
    for &i in &art.indices {
        used[i as usize] = true;
    }
    assert!(used.iter().all(|u| *u), "every palette entry is used");
    assert_eq!(art.quality.colors_used, art.palette.len());
    assert_eq!(art.to_rgb().len(), n * n * 3);
}

#[test]
fn colour_budget_is_respected() {
    let t = truth(5, 96, 16);
    let img = corrupt(&t, 8, &Corruption::harsh(), 5);
    for colors in [1, 2, 5, 12, 40, 256] {
        let opts = Options { size: 96, colors };
        let art = pixelize(&img, 768, 768, &opts).unwrap();
        check_invariants(&art, &opts);
    }
}

#[test]
fn deterministic() {
    let t = truth(9, 96, 12);
    let img = corrupt(&t, 8, &Corruption::harsh(), 9);
    let a = pixelize(&img, 768, 768, &Options::default()).unwrap();
    let b = pixelize(&img, 768, 768, &Options::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn single_colour_image() {
    let img = vec![77u8; 768 * 768 * 3];
    let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
    assert_eq!(art.palette, vec![[77, 77, 77]]);
    assert!(art.indices.iter().all(|&i| i == 0));
    assert!(!art.quality.grid_found);
}

#[test]
fn gradient_photo_has_no_grid() {
    let mut rng = Rng::new(1);
    let mut img = Vec::with_capacity(768 * 768 * 3);
    for y in 0..768u32 {
        for x in 0..768u32 {
            let n = (rng.gauss() * 3.0) as i32;
            img.push(((x * 255 / 767) as i32 + n).clamp(0, 255) as u8);
            img.push(((y * 255 / 767) as i32 + n).clamp(0, 255) as u8);
            img.push(128);
        }
    }
    let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
    assert!(!art.quality.grid_found, "{:?}", art.quality);
    check_invariants(&art, &Options::default());
}

#[test]
fn tiny_input_one_pixel_per_cell() {
    // A true 96×96 picture passed as is: reproduced exactly.
    let t = truth(2, 96, 12);
    let art = pixelize(&t.to_rgb(), 96, 96, &Options::default()).unwrap();
    assert_eq!(art.to_rgb(), t.to_rgb());
}

#[test]
fn non_square_is_centre_cropped() {
    let t = truth(4, 96, 12);
    let img = corrupt(&t, 8, &Corruption::mild(), 4);
    // Pad 16 px of black on the left and right: 800×768.
    let mut wide = Vec::with_capacity(800 * 768 * 3);
    for y in 0..768 {
        wide.extend_from_slice(&[0u8; 16 * 3]);
        wide.extend_from_slice(&img[y * 768 * 3..(y + 1) * 768 * 3]);
        wide.extend_from_slice(&[0u8; 16 * 3]);
    }
    let a = pixelize(&wide, 800, 768, &Options::default()).unwrap();
    let b = pixelize(&img, 768, 768, &Options::default()).unwrap();
    assert_eq!(a.quality.crop, [16, 0, 768, 768]);
    assert_eq!(a.indices, b.indices);
    assert_eq!(a.palette, b.palette);
}

#[test]
fn bad_inputs_get_clear_errors() {
    let o = Options::default();
    let e = pixelize(&[0u8; 10], 768, 768, &o).unwrap_err();
    assert!(matches!(e, PixelizeError::BufferSize { .. }));
    assert!(e.to_string().contains("RGB"), "{e}");
    assert!(matches!(pixelize(&[], 0, 768, &o), Err(PixelizeError::Empty { .. })));
    let small = vec![0u8; 50 * 50 * 3];
    let e = pixelize(&small, 50, 50, &o).unwrap_err();
    assert!(matches!(e, PixelizeError::TooSmall { .. }));
    assert!(e.to_string().contains("too small"), "{e}");
    let wide_thin = vec![0u8; 2000 * 20 * 3];
    assert!(matches!(pixelize(&wide_thin, 2000, 20, &o), Err(PixelizeError::TooSmall { .. })));
    // Checked before the buffer, so nothing huge is allocated here.
    let e = pixelize(&[], 100_000, 100_000, &o).unwrap_err();
    assert!(matches!(e, PixelizeError::TooLarge { max, .. } if max == MAX_PIXELS));
    let img = vec![0u8; 96 * 96 * 3];
    assert!(matches!(pixelize(&img, 96, 96, &Options { size: 0, colors: 12 }), Err(PixelizeError::BadSize(0))));
    assert!(matches!(pixelize(&img, 96, 96, &Options { size: 96, colors: 0 }), Err(PixelizeError::BadColors(0))));
    assert!(matches!(pixelize(&img, 96, 96, &Options { size: 96, colors: 257 }), Err(PixelizeError::BadColors(257))));
}

#[test]
fn quality_serializes_to_json() {
    let t = truth(6, 96, 12);
    let img = corrupt(&t, 8, &Corruption::mild(), 6);
    let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
    let json = serde_json::to_value(&art.quality).unwrap();
    assert_eq!(json["grid_found"], true);
    assert_eq!(json["grid"], "measured");
    assert!(json["pitch_x"].as_f64().unwrap() > 7.9 && json["pitch_x"].as_f64().unwrap() < 8.1);
    assert!(json["edge_contrast"].as_f64().unwrap() > 1.1);
    assert!(json["auto_colors"].is_null());
    let auto = pixelize_auto(&img, 768, 768, &Options::default()).unwrap();
    let json = serde_json::to_value(&auto.quality).unwrap();
    assert_eq!(json["auto_colors"]["ceiling"], 12);
    assert!(json["auto_colors"]["chosen"].as_u64().unwrap() >= auto.palette.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn never_panics_and_keeps_invariants(
        w in 1u32..140, h in 1u32..140, size in 1u32..40, colors in 1usize..20, seed in any::<u64>(),
        flat in any::<bool>(),
    ) {
        let mut rng = Rng::new(seed);
        let len = (w * h * 3) as usize;
        let img: Vec<u8> = if flat {
            // Few colours in blocks: closer to pixel art than white noise.
            let pal: Vec<[u8; 3]> = (0..4).map(|_| [rng.int(0, 255) as u8, rng.int(0, 255) as u8, rng.int(0, 255) as u8]).collect();
            (0..(w * h) as usize).flat_map(|i| pal[(i % w as usize / 7 + i / w as usize / 5) % 4]).collect()
        } else {
            (0..len).map(|_| rng.int(0, 255) as u8).collect()
        };
        let opts = Options { size, colors };
        match pixelize(&img, w, h, &opts) {
            Ok(art) => check_invariants(&art, &opts),
            Err(e) => prop_assert!(matches!(e, PixelizeError::TooSmall { .. }), "{e}"),
        }
        // `colors: auto` keeps the same invariants, with `colors` as the ceiling.
        match pixelize_auto(&img, w, h, &opts) {
            Ok(art) => {
                check_invariants(&art, &opts);
                let auto = art.quality.auto_colors.clone().expect("auto report");
                prop_assert!(auto.knee <= colors && auto.chosen <= colors, "{auto:?}");
                prop_assert!(auto.flat || auto.chosen == auto.knee, "{auto:?}");
            }
            Err(e) => prop_assert!(matches!(e, PixelizeError::TooSmall { .. }), "{e}"),
        }
    }
}
