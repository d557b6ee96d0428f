//! Render a plan at 0 %, 10 %, …, 100 % of its duration side by side, to see the drawing order.
//!
//! `cargo run -p brush --example contact_sheet -- SEED OUT.png` (synthetic picture SEED).

use brush::{plan, BrushOptions};
use canvas::{Image, Timeline};
use pixelize::synth::truth;
use pixelize::Pixelized;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let out = args.get(2).cloned().unwrap_or_else(|| "contact_sheet.png".to_string());
    let t = truth(seed, 96, 12);
    let art = Pixelized::from_indexed(96, t.palette, t.indices).expect("valid truth");
    let doc = plan(&art, &BrushOptions::default());
    let tl = Timeline::new(&doc, canvas::DEFAULT_STEP_DURATION_MS);
    let (frames, gap) = (11u32, 4u32);
    let (w, h) = (96u32, 96u32);
    let mut sheet = Image::new(frames * (w + gap), h, [255, 255, 255, 255]);
    let mut frame = Image::empty();
    for f in 0..frames {
        tl.render_at(tl.duration_ms() * f as u64 / (frames - 1) as u64, &mut frame);
        for y in 0..h {
            for x in 0..w {
                let src = ((y * w + x) * 4) as usize;
                let dst = ((y * sheet.width + f * (w + gap) + x) * 4) as usize;
                sheet.data[dst..dst + 4].copy_from_slice(&frame.data[src..src + 4]);
            }
        }
    }
    std::fs::write(&out, canvas::encode_png(&sheet, 2)).expect("write the sheet");
    println!("{} steps, {} ms -> {out}", doc.steps().len(), tl.duration_ms());
}
