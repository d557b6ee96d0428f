//! Checks shared by the scenario and property tests.
#![allow(dead_code)]

use canvas::{Document, Step, Timeline};
use pixelize::Pixelized;

pub fn hex(c: [u8; 3]) -> String {
    format!("#{:02X}{:02X}{:02X}", c[0], c[1], c[2])
}

/// The most frequent colour (ties: smallest value), as the plan chooses it.
pub fn background(art: &Pixelized) -> [u8; 3] {
    let mut counts: std::collections::BTreeMap<[u8; 3], usize> = Default::default();
    for &i in &art.indices {
        *counts.entry(art.palette[i as usize]).or_default() += 1;
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v[0].0
}

pub fn pixel_steps(doc: &Document) -> Vec<&canvas::Pixels> {
    doc.steps()
        .iter()
        .map(|s| match s {
            Step::Pixels(p) => p,
            other => panic!("unexpected step {}", other.op()),
        })
        .collect()
}

/// Every property the issue asks of a plan.
pub fn check_plan(art: &Pixelized, doc: &Document, duration_ms: u64) {
    let size = art.size as usize;
    let bg = background(art);
    // Valid Canvas-DSL that survives a JSON round trip through the strict parser.
    doc.validate().expect("valid document");
    let parsed = canvas::parse(&doc.to_json()).expect("parses");
    assert_eq!(&parsed, doc);
    assert_eq!((doc.canvas.w as usize, doc.canvas.h as usize), (size, size));
    assert_eq!(doc.canvas.bg, hex(bg));
    assert!(doc.palette.as_ref().is_some_and(|p| p[0] == hex(bg)));
    let steps = pixel_steps(doc);
    assert!(!steps.is_empty() && steps.len() <= brush::MAX_STEPS, "{} steps", steps.len());

    // Exactly once, in the right colour; the background is never painted (one-colour pictures
    // paint a single background pixel, documented).
    let mut painted = vec![0u32; size * size];
    for s in &steps {
        let a = s.animate.expect("animated");
        assert_eq!(a.mode, canvas::Mode::PixelReveal);
        for p in &s.points {
            let i = p[1] as usize * size + p[0] as usize;
            painted[i] += 1;
            let want = art.palette[art.indices[i] as usize];
            assert_eq!(s.color, hex(want), "pixel {p:?}");
        }
    }
    let one_colour = art.indices.iter().all(|&i| art.palette[i as usize] == bg);
    for (i, &times) in painted.iter().enumerate() {
        let is_bg = art.palette[art.indices[i] as usize] == bg;
        if one_colour {
            assert_eq!(times, (i == 0) as u32);
        } else {
            assert_eq!(times, (!is_bg) as u32, "cell {i} painted {times} times");
        }
    }

    // The final frame is the picture.
    let frame = canvas::render_final(doc);
    assert_eq!((frame.width as usize, frame.height as usize), (size, size));
    for i in 0..size * size {
        let c = art.palette[art.indices[i] as usize];
        assert_eq!(&frame.data[i * 4..i * 4 + 3], &c, "final frame pixel {i}");
    }

    // Duration within ±5 % of the budget, as the timeline plays it.
    let tl = Timeline::new(doc, canvas::DEFAULT_STEP_DURATION_MS).duration_ms();
    let want = duration_ms.max(steps.len() as u64) as f64;
    assert!((tl as f64 - want).abs() <= want * 0.05, "timeline {tl} ms, wanted {want}");
    // And by the schema's own arithmetic (delay after the previous step + duration).
    let sum: u64 = steps
        .iter()
        .map(|s| {
            let a = s.animate.unwrap();
            a.delay_ms.unwrap_or(0) as u64 + a.duration_ms.unwrap() as u64
        })
        .sum();
    assert!((sum as f64 - want).abs() <= want * 0.05, "sum {sum} ms, wanted {want}");
}
