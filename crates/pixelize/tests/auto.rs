//! `colors: auto` ([`pixelize_auto`]): the palette size follows the picture, never above the
//! streamer's ceiling. What a viewer would notice: three flat colours come out as exactly those
//! three, a gradient sky gets fewer bands than the whole budget but still reads as a gradient.

mod common;

use common::render;
use pixelize::color::delta_e76;
use pixelize::synth::{corrupt, Corruption, Truth};
use pixelize::{pixelize_auto, Options, PixelizeError};

fn lerp(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    [0, 1, 2].map(|k| (a[k] as f32 + (b[k] as f32 - a[k] as f32) * t).round() as u8)
}

/// Sky, a sun and grass in three flat colours, 96² cells.
fn three_colours() -> Truth {
    let palette = vec![[70, 130, 200], [60, 150, 70], [230, 200, 40]];
    let indices = (0..96 * 96i32)
        .map(|i| {
            let (x, y) = (i % 96, i / 96);
            if y > 60 {
                1
            } else if (x - 48).pow(2) + (y - 30).pow(2) < 300 {
                2
            } else {
                0
            }
        })
        .collect();
    Truth { size: 96, palette, indices }
}

/// A red-to-white sky gradient over green ground (tests/rich.rs), 96² cells.
fn gradient_sky() -> Vec<[u8; 3]> {
    (0..96 * 96)
        .map(|i| {
            let (x, y) = (i % 96, i / 96);
            if y < 64 {
                lerp([190, 30, 40], [250, 245, 240], x as f32 / 95.0)
            } else {
                [40, 140, 60]
            }
        })
        .collect()
}

#[test]
fn three_flat_colours_get_three_colours() {
    // Rendered like pixel-art-xl output: soft cell edges, wobble, slight uneven lighting, noise.
    let t = three_colours();
    for seed in 0..4 {
        let img = corrupt(&t, 8, &Corruption::mild(), seed);
        let art = pixelize_auto(&img, 768, 768, &Options { size: 96, colors: 12 }).unwrap();
        assert_eq!(art.palette.len(), 3, "seed {seed}: {:?} ({:?})", art.palette, art.quality.auto_colors);
        assert_eq!(art.quality.auto_colors.as_ref().map(|a| a.chosen), Some(3));
        for truth in &t.palette {
            let nearest = art.palette.iter().map(|p| delta_e76(*p, *truth)).fold(f32::MAX, f32::min);
            assert!(nearest < 5.0, "seed {seed}: {truth:?} came out {nearest:.1} ΔE off: {:?}", art.palette);
        }
    }
}

#[test]
fn a_gradient_sky_gets_more_colours_but_not_the_whole_budget() {
    let cells = gradient_sky();
    let art = pixelize_auto(&render(&cells, 1), 768, 768, &Options { size: 96, colors: 12 }).unwrap();
    let n = art.palette.len();
    assert!((7..12).contains(&n), "{n} colours for a gradient sky: {:?}", art.quality.auto_colors);
    // The sky still reads as a gradient: its row keeps several ordered bands, each close to the
    // sky it stands for.
    let row: Vec<[u8; 3]> = (0..96).map(|x| art.color_at(x, 20)).collect();
    let mut bands = row.clone();
    bands.dedup();
    assert!(bands.len() >= 5, "the gradient collapsed into {} bands", bands.len());
    let worst = (0..96).map(|x| delta_e76(row[x], cells[20 * 96 + x])).fold(0.0, f32::max);
    assert!(worst < 12.0, "a band is {worst:.1} ΔE off the sky it stands for");
}

#[test]
fn never_above_the_ceiling() {
    let img = render(&gradient_sky(), 3);
    for ceiling in [1, 2, 3, 5, 8] {
        let art = pixelize_auto(&img, 768, 768, &Options { size: 96, colors: ceiling }).unwrap();
        let auto = art.quality.auto_colors.clone().expect("auto report");
        assert!(art.palette.len() <= ceiling, "ceiling {ceiling}: {} colours", art.palette.len());
        assert!(auto.knee <= ceiling && auto.chosen <= ceiling, "ceiling {ceiling}: {auto:?}");
        assert_eq!(auto.ceiling, ceiling);
    }
}

#[test]
fn bad_options_are_refused_as_by_pixelize() {
    let img = vec![0u8; 96 * 96 * 3];
    let refuse = |colors| pixelize_auto(&img, 96, 96, &Options { size: 96, colors });
    assert!(matches!(refuse(0), Err(PixelizeError::BadColors(0))));
    assert!(matches!(refuse(257), Err(PixelizeError::BadColors(257))));
}
