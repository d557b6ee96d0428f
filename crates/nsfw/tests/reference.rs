//! The network run by tract gives the scores of the reference runtime (onnxruntime 1.x on the same
//! file and the same input tensors: see the numbers' comment), and the pinned file is what loads.
//!
//! Needs the model: `.ci/run` installs it with `draw-stream models fetch` and names it in
//! DRAWSTREAM_NSFW_MODEL. Without it the test says it skipped (and fails when
//! DRAWSTREAM_REQUIRE_NSFW_MODEL is set, as in CI).

use nsfw::{Classifier, INPUT};

fn model() -> Option<Classifier> {
    match std::env::var_os("DRAWSTREAM_NSFW_MODEL").map(std::path::PathBuf::from) {
        Some(p) if p.exists() => Some(Classifier::load(&p).unwrap()),
        other => {
            assert!(
                std::env::var_os("DRAWSTREAM_REQUIRE_NSFW_MODEL").is_none(),
                "the open_nsfw model is required here (DRAWSTREAM_NSFW_MODEL={other:?})"
            );
            eprintln!("SKIPPED: set DRAWSTREAM_NSFW_MODEL to the open_nsfw model (`draw-stream models fetch`)");
            None
        }
    }
}

/// An input tensor (BGR minus the mean, row-major) from a function of (y, x, channel).
fn tensor(f: impl Fn(usize, usize, usize) -> f32) -> Vec<f32> {
    const MEAN: [f32; 3] = [104.0, 117.0, 123.0];
    let mut v = Vec::with_capacity(INPUT * INPUT * 3);
    for y in 0..INPUT {
        for x in 0..INPUT {
            for (c, mean) in MEAN.iter().enumerate() {
                v.push(f(y, x, c) - mean);
            }
        }
    }
    v
}

#[test]
fn tract_scores_match_the_reference_runtime() {
    let Some(c) = model() else { return };
    // Computed with onnxruntime (CPUExecutionProvider) on the same file and the same tensors.
    let cases: [(&str, Vec<f32>, f32); 3] = [
        ("flat skin tone", tensor(|_, _, c| [120.0, 150.0, 200.0][c]), 0.281_767_7),
        ("horizontal ramp", tensor(|_, x, _| (x * 255 / 223) as f32), 0.063_738_34),
        ("diagonal pattern", tensor(|y, x, c| ((x * 7 + y * 13 + c * 50) % 256) as f32), 0.003_044_569),
    ];
    for (name, input, expected) in cases {
        let got = c.score_input(input).unwrap();
        assert!((got - expected).abs() < 1e-4, "{name}: tract {got}, reference {expected}");
    }
}

#[test]
fn safe_pixel_art_scores_low() {
    let Some(c) = model() else { return };
    // A small pixel-art scene: sky, snow, a fox-orange block, scaled up ×8 like a pixel-art-xl render.
    let img = image::RgbImage::from_fn(768, 768, |x, y| {
        let (cx, cy) = (x / 8, y / 8);
        if (40..56).contains(&cx) && (60..70).contains(&cy) {
            image::Rgb([224, 120, 40])
        } else if cy > 66 {
            image::Rgb([236, 240, 248])
        } else {
            image::Rgb([30, 40, 90 + (cy as u8)])
        }
    });
    let p = c.score(&img).unwrap();
    assert!(p < 0.1, "a snowy scene scored {p}");
}
