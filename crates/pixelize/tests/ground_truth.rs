//! The accuracy targets of issue 5 on a small ground-truth set (the bench example runs the full
//! table): exactly 96×96; mild acc5 ≥ 0.99 and detail ≥ 0.85; harsh acc5 ≥ 0.98 and detail ≥ 0.75.

use pixelize::synth::{corrupt, score, truth, Corruption};
use pixelize::{pixelize, Options};

fn run(c: &Corruption, seeds: std::ops::Range<u64>) -> (f64, f64, f64) {
    let (mut acc, mut det, mut worst) = (0.0, 0.0, 1.0f64);
    let n = (seeds.end - seeds.start) as f64;
    for seed in seeds {
        let t = truth(seed, 96, 12);
        let img = corrupt(&t, 8, c, seed);
        let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
        assert_eq!(art.size, 96);
        assert_eq!(art.indices.len(), 96 * 96);
        assert!(art.palette.len() <= 12);
        assert!(art.quality.grid_found, "seed {seed}: grid not found: {:?}", art.quality);
        let s = score(&t, &art.to_rgb(), 96);
        acc += s.acc5;
        det += s.detail;
        worst = worst.min(s.acc5);
    }
    (acc / n, det / n, worst)
}

#[test]
fn mild_corruption_meets_targets() {
    let (acc, det, worst) = run(&Corruption::mild(), 100..104);
    assert!(acc >= 0.99, "mild acc5 {acc}");
    assert!(det >= 0.85, "mild detail {det}");
    assert!(worst >= 0.97, "mild worst acc5 {worst}");
}

#[test]
fn harsh_corruption_meets_targets() {
    let (acc, det, worst) = run(&Corruption::harsh(), 200..204);
    assert!(acc >= 0.98, "harsh acc5 {acc}");
    assert!(det >= 0.75, "harsh detail {det}");
    assert!(worst >= 0.90, "harsh worst acc5 {worst}");
}

#[test]
fn beats_the_original_method() {
    let c = Corruption::harsh();
    let t = truth(7, 96, 12);
    let img = corrupt(&t, 8, &c, 7);
    let ours = score(&t, &pixelize(&img, 768, 768, &Options::default()).unwrap().to_rgb(), 96);
    let orig = score(&t, &pixelize::synth::original_method(&img, 768, 768, 96, 12), 96);
    assert!(ours.acc5 > orig.acc5 && ours.detail > orig.detail, "ours {ours:?} original {orig:?}");
}

#[test]
fn clean_upscale_is_reproduced_exactly() {
    // No corruption at all: ×8 nearest of a ≤12-colour truth must come back cell for cell.
    let clean = Corruption { shift: 0.0, wobble: 0.0, drift: 0.0, blur: 0.0, shading: 0.0, noise: 0.0 };
    let t = truth(3, 96, 12);
    let img = corrupt(&t, 8, &clean, 3);
    let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
    assert_eq!(art.to_rgb(), t.to_rgb());
}

#[test]
fn other_output_sizes() {
    // 48 cells of 8 px at 384², 32 colours allowed.
    let t = truth(11, 48, 16);
    let img = corrupt(&t, 8, &Corruption::mild(), 11);
    let art = pixelize(&img, 384, 384, &Options { size: 48, colors: 32 }).unwrap();
    assert_eq!(art.indices.len(), 48 * 48);
    let s = score(&t, &art.to_rgb(), 48);
    assert!(s.acc5 >= 0.98, "{s:?}");
}

#[test]
fn noise_is_cleaned_but_one_pixel_details_stay() {
    // A flat 96×96 picture of two areas, one cell a barely different shade (noise), one cell a
    // bright star; rendered ×8 with mild corruption.
    let mut t = pixelize::synth::Truth {
        size: 96,
        palette: vec![[30, 40, 90], [60, 120, 60], [33, 43, 93], [250, 240, 120]],
        indices: vec![0; 96 * 96],
    };
    for y in 60..96 {
        for x in 0..96 {
            t.indices[y * 96 + x] = 1;
        }
    }
    t.indices[20 * 96 + 30] = 2; // noise: ΔE ≈ 1.5 from the sky
    t.indices[25 * 96 + 70] = 3; // a star
    let img = corrupt(&t, 8, &Corruption::mild(), 1);
    let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
    let sky = art.indices[10 * 96 + 10];
    assert_eq!(art.indices[20 * 96 + 30], sky, "the off-shade cell joins the sky");
    let star = art.palette[art.indices[25 * 96 + 70] as usize];
    assert!(pixelize::color::delta_e76(star, [250, 240, 120]) < 5.0, "the star keeps its colour: {star:?}");
    assert_eq!(art.palette.len(), 3, "{:?}", art.palette);
    assert!(art.quality.details_kept >= 1);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]

        #[test]
        fn any_mild_truth_is_recovered(seed in 1000u64..1_000_000) {
            let t = truth(seed, 96, 12);
            let img = corrupt(&t, 8, &Corruption::mild(), seed);
            let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
            let s = score(&t, &art.to_rgb(), 96);
            prop_assert!(s.acc5 >= 0.97 && s.detail >= 0.7, "seed {}: {:?}", seed, s);
        }

        #[test]
        fn any_harsh_truth_is_mostly_recovered(seed in 1000u64..1_000_000) {
            let t = truth(seed, 96, 12);
            let img = corrupt(&t, 8, &Corruption::harsh(), seed);
            let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
            let s = score(&t, &art.to_rgb(), 96);
            prop_assert!(s.acc5 >= 0.9 && s.detail >= 0.5, "seed {}: {:?}", seed, s);
        }
    }
}
