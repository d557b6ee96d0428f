//! Plan a synthetic picture and print a summary; optionally write the document.
//!
//! `cargo run -p brush --example plan -- [SEED] [OUT.json]`

use brush::{plan, BrushOptions};
use canvas::Step;
use pixelize::synth::truth;
use pixelize::Pixelized;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let t = truth(seed, 96, 12);
    let art = Pixelized::from_indexed(96, t.palette, t.indices).expect("valid truth");
    let doc = plan(&art, &BrushOptions::default());
    let (mut draw, mut pause) = (0u64, 0u64);
    for (i, s) in doc.steps().iter().enumerate() {
        if let Step::Pixels(p) = s {
            let a = p.animate.expect("animated");
            draw += a.duration_ms.unwrap_or(0) as u64;
            pause += a.delay_ms.unwrap_or(0) as u64;
            println!(
                "{i:3} {} {:4} px  pause {:4} ms  draw {:5} ms  from ({}, {})",
                p.color,
                p.points.len(),
                a.delay_ms.unwrap_or(0),
                a.duration_ms.unwrap_or(0),
                p.points[0][0],
                p.points[0][1]
            );
        }
    }
    let tl = canvas::Timeline::new(&doc, canvas::DEFAULT_STEP_DURATION_MS).duration_ms();
    println!(
        "bg {} | {} steps | drawing {draw} ms + pauses {pause} ms | timeline {tl} ms",
        doc.canvas.bg,
        doc.steps().len()
    );
    if let Some(out) = args.get(2) {
        std::fs::write(out, doc.to_json_pretty()).expect("write the document");
    }
}
