//! Scenarios: what a viewer sees when a picture is drawn.

mod common;

use brush::{plan, BrushOptions, DETAIL_MAX, MAX_STEPS};
use common::{check_plan, pixel_steps};
use pixelize::synth::{corrupt, truth, Corruption, Rng};
use pixelize::Pixelized;

fn art_from_truth(seed: u64) -> Pixelized {
    let t = truth(seed, 96, 12);
    Pixelized::from_indexed(96, t.palette, t.indices).unwrap()
}

#[test]
fn a_typical_picture_is_drawn_in_forty_seconds() {
    for seed in 0..6 {
        let art = art_from_truth(seed);
        let doc = plan(&art, &BrushOptions::default());
        check_plan(&art, &doc, 40_000);
    }
}

#[test]
fn a_pixelized_sdxl_picture_is_drawn_exactly() {
    let t = truth(42, 96, 12);
    let img = corrupt(&t, 8, &Corruption::harsh(), 42);
    let art = pixelize::pixelize(&img, 768, 768, &pixelize::Options::default()).unwrap();
    let doc = plan(&art, &BrushOptions::default());
    check_plan(&art, &doc, 40_000);
}

#[test]
fn other_durations_are_met() {
    let art = art_from_truth(3);
    for ms in [5_000, 20_000, 90_000, 300_000] {
        let doc = plan(&art, &BrushOptions { duration_ms: ms, caption: "x".into() });
        check_plan(&art, &doc, ms);
        assert_eq!(doc.caption, "x");
    }
}

#[test]
fn a_one_colour_picture_still_gives_a_valid_document() {
    let art = Pixelized::from_indexed(96, vec![[10, 20, 30]], vec![0; 96 * 96]).unwrap();
    let doc = plan(&art, &BrushOptions::default());
    check_plan(&art, &doc, 40_000);
    assert_eq!(doc.steps().len(), 1);
}

#[test]
fn a_noisy_picture_stays_within_the_step_budget() {
    // Every cell random among 12 colours: thousands of tiny regions.
    let mut rng = Rng::new(5);
    let palette: Vec<[u8; 3]> =
        (0..12u32).map(|i| [(i * 20) as u8, (255 - i * 20) as u8, ((i * 37) % 255) as u8]).collect();
    let indices: Vec<u8> = (0..96 * 96).map(|_| rng.int(0, 11) as u8).collect();
    let art = Pixelized::from_indexed(96, palette, indices).unwrap();
    let doc = plan(&art, &BrushOptions::default());
    assert!(doc.steps().len() <= MAX_STEPS);
    check_plan(&art, &doc, 40_000);
}

#[test]
fn strokes_are_connected_runs_of_one_region() {
    let art = art_from_truth(8);
    let doc = plan(&art, &BrushOptions::default());
    let size = 96i32;
    for s in pixel_steps(&doc) {
        // Consecutive points of a stroke touch (8-neighbourhood): the brush never jumps mid-stroke.
        for w in s.points.windows(2) {
            let (dx, dy) = ((w[0][0] - w[1][0]).abs(), (w[0][1] - w[1][1]).abs());
            assert!(dx <= 1 && dy <= 1, "jump {:?} -> {:?} in a stroke", w[0], w[1]);
        }
        assert!(s.points.iter().all(|p| p[0] >= 0 && p[0] < size && p[1] >= 0 && p[1] < size));
        assert!(s.points.len() <= brush::MAX_RUN);
    }
}

#[test]
fn large_areas_first_details_last() {
    let art = art_from_truth(12);
    let doc = plan(&art, &BrushOptions::default());
    let steps = pixel_steps(&doc);
    // The first stroke belongs to the largest non-background region's colour family: a big area.
    let first = steps[0];
    assert!(first.points.len() >= 32, "first stroke is {} px", first.points.len());
    // Details (tiny isolated regions) come after every bigger stroke.
    let size = 96usize;
    let colour_at = |p: [i32; 2]| art.palette[art.indices[p[1] as usize * size + p[0] as usize] as usize];
    let is_detail = |s: &canvas::Pixels| {
        // A detail: ≤ DETAIL_MAX points that no other same-colour point touches outside the stroke.
        s.points.len() <= DETAIL_MAX
            && s.points.iter().all(|p| {
                (-1..=1).all(|dy| {
                    (-1..=1).all(|dx| {
                        let q = [p[0] + dx, p[1] + dy];
                        q[0] < 0
                            || q[1] < 0
                            || q[0] >= 96
                            || q[1] >= 96
                            || s.points.contains(&q)
                            || colour_at(q) != colour_at(*p)
                    })
                })
            })
    };
    let first_detail = steps.iter().position(|s| is_detail(s)).expect("truths have details");
    assert!(steps[first_detail..].iter().all(|s| is_detail(s)), "details are last");
    assert!(steps.len() - first_detail >= 10);
}

#[test]
fn pauses_are_natural_and_do_not_grow() {
    let art = art_from_truth(21);
    let doc = plan(&art, &BrushOptions::default());
    let delays: Vec<u32> = pixel_steps(&doc).iter().map(|s| s.animate.unwrap().delay_ms.unwrap()).collect();
    assert_eq!(delays[0], 0);
    let max = *delays.iter().max().unwrap();
    assert!(max <= 2_000, "longest pause {max} ms");
    // No trend: a pause depends only on what changes between strokes (same area, another area of
    // the colour, another colour, another phase), never on how many strokes came before — the
    // original's grew by 70 ms per stroke.
    let mut kinds: Vec<u32> = delays[1..].to_vec();
    kinds.sort_unstable();
    kinds.dedup_by(|a, b| *a - *b <= 1);
    assert!(kinds.len() <= 4, "pause values {kinds:?}");
}

#[test]
fn deterministic() {
    let art = art_from_truth(30);
    let a = plan(&art, &BrushOptions::default());
    let b = plan(&art, &BrushOptions::default());
    assert_eq!(a, b);
    assert_eq!(a.to_json(), b.to_json());
}

#[test]
fn malformed_art_does_not_panic() {
    let mut art = art_from_truth(1);
    art.indices.truncate(100);
    art.indices[5] = 200;
    let doc = plan(&art, &BrushOptions::default());
    doc.validate().unwrap();
    let mut empty = art_from_truth(1);
    empty.palette.clear();
    plan(&empty, &BrushOptions::default()).validate().unwrap();
    let zero = BrushOptions { duration_ms: 0, caption: String::new() };
    plan(&art_from_truth(2), &zero).validate().unwrap();
    let forever = BrushOptions { duration_ms: u64::MAX, caption: "x".repeat(10_000) };
    plan(&art_from_truth(2), &forever).validate().unwrap();
    let mut huge = art_from_truth(3);
    huge.size = 1_000_000;
    let doc = plan(&huge, &BrushOptions::default());
    assert_eq!(doc.canvas.w, canvas::limits::MAX_CANVAS_SIDE);
}
