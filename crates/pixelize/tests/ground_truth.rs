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

#[test]
fn harsh_seed_473865_regression() {
    // Found by the property test on CI: a large bright-green area (1424 cells) lay mostly in the
    // darker half of the shading field, so the median of its cells came out 5.2 ΔE too dark and the
    // whole area failed acc5 (0.845, detail 0.80). The shading field is now measured and divided
    // out before the palette entries are taken (src/shading.rs): acc5 1.0000, detail 1.00.
    let seed = 473_865;
    let t = truth(seed, 96, 12);
    let img = corrupt(&t, 8, &Corruption::harsh(), seed);
    let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
    let s = score(&t, &art.to_rgb(), 96);
    assert!(s.acc5 >= 0.995 && s.detail >= 0.9, "{s:?}");
}

/// The truth moved by one cell (`dx`, `dy`), edge cells repeated.
fn shifted(t: &pixelize::synth::Truth, dx: isize, dy: isize) -> pixelize::synth::Truth {
    let n = t.size as isize;
    let mut s = t.clone();
    for y in 0..n {
        for x in 0..n {
            let (sx, sy) = ((x - dx).clamp(0, n - 1), (y - dy).clamp(0, n - 1));
            s.indices[(y * n + x) as usize] = t.indices[(sy * n + sx) as usize];
        }
    }
    s
}

/// acc5 and detail retention, also when the whole output is one cell off. The corruption shifts
/// the picture by up to ±3 px and the wobble field adds up to ±1.2 px, so the offset of line 0 can
/// exceed half a cell (4 px); when the first and last rows (or columns) of the truth are flat, the
/// rendered image is then the same as that of the truth moved by one cell, and no method can tell
/// which was meant (line 0 is taken as the comb line nearest the image edge). Every boundary
/// between areas and every 1-px detail is then one cell off (acc5 0.94–0.96, detail 0: harsh seeds
/// 1274, 2622, 2987, 3985, 4690 of 1000..5000). This scores such a result against the truth it is
/// consistent with: the best of the truth and the truth moved by one cell in each direction.
fn score_up_to_one_cell(t: &pixelize::synth::Truth, out: &[u8]) -> (f64, f64) {
    let s = score(t, out, t.size);
    let mut best = (s.acc5, s.detail);
    for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
        let s = score(&shifted(t, dx, dy), out, t.size);
        if s.acc5 > best.0 {
            best = (s.acc5, s.detail);
        }
    }
    best
}

#[test]
fn one_cell_ambiguity_is_the_only_harsh_failure_mode() {
    // The five harsh seeds of 1000..5000 below acc5 0.98 are all one cell off.
    for seed in [1274, 2622, 2987, 3985, 4690] {
        let t = truth(seed, 96, 12);
        let img = corrupt(&t, 8, &Corruption::harsh(), seed);
        let out = pixelize(&img, 768, 768, &Options::default()).unwrap().to_rgb();
        let s = score(&t, &out, 96);
        let (acc, det) = score_up_to_one_cell(&t, &out);
        println!(
            "seed {seed}: acc5 {:.4} detail {:.3}; up to one cell acc5 {acc:.4} detail {det:.3}",
            s.acc5, s.detail
        );
        assert!(s.acc5 >= 0.9 && acc >= 0.99 && det >= 0.9, "seed {seed}: {s:?}, up to one cell {acc} {det}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    // Per-seed thresholds that every scanned seed meets, with a margin (scan: `cargo run --release
    // -p pixelize --example scan -- mild|harsh FIRST COUNT`); the tests draw seeds from 1000..10^6.
    //   mild  seeds 1000..3000: min acc5 0.9999, min detail 0.967.
    //   harsh seeds 1000..5000 and 500000..501000: min acc5 0.938 (one cell off, see
    //   `score_up_to_one_cell`; 0.994 otherwise); up to a one-cell offset min acc5 0.994 and min
    //   detail 0.767 (seed 500743: blurred 1-px details drift towards their neighbours; it scored
    //   the same before the shading correction).
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn any_mild_truth_is_recovered(seed in 1000u64..1_000_000) {
            let t = truth(seed, 96, 12);
            let img = corrupt(&t, 8, &Corruption::mild(), seed);
            let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
            let s = score(&t, &art.to_rgb(), 96);
            prop_assert!(s.acc5 >= 0.99 && s.detail >= 0.85, "seed {}: {:?}", seed, s);
        }

        #[test]
        fn any_harsh_truth_is_mostly_recovered(seed in 1000u64..1_000_000) {
            let t = truth(seed, 96, 12);
            let img = corrupt(&t, 8, &Corruption::harsh(), seed);
            let art = pixelize(&img, 768, 768, &Options::default()).unwrap();
            let out = art.to_rgb();
            let s = score(&t, &out, 96);
            let (acc, det) = score_up_to_one_cell(&t, &out);
            prop_assert!(
                s.acc5 >= 0.9 && acc >= 0.98 && det >= 0.6,
                "seed {}: {:?}, up to one cell: acc5 {} detail {}", seed, s, acc, det
            );
        }
    }
}
