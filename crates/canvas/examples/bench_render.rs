//! Render-loop cost of the canvas crate, printed as a table (no criterion needed):
//! `cargo run --release -p canvas --example bench_render`
//!
//! The window calls `Timeline::render_at` once per frame (60 per second), so that is the number
//! that matters; building the timeline happens once per donation.

use std::hint::black_box;
use std::time::Instant;

use canvas::{encode_gif, encode_png, render_final, Document, Image, Timeline, DEFAULT_STEP_DURATION_MS};

const AURORA: &str = include_str!("../tests/fixtures/aurora_cabin_plan.json");

/// A brush-like document: 96×96 covered by 40 `pixels` steps revealed in order.
fn brush_like() -> Document {
    let mut steps = Vec::new();
    for s in 0..40u32 {
        let points: Vec<String> = (0..96 * 96u32)
            .filter(|i| (i * 7 + i / 96) % 40 == s)
            .map(|i| format!("[{},{}]", i % 96, i / 96))
            .collect();
        steps.push(format!(
            r##"{{"op":"pixels","color":"#{:02X}{:02X}{:02X}","points":[{}],"animate":{{"mode":"pixel_reveal","duration_ms":450,"delay_ms":20}}}}"##,
            s * 6,
            255 - s * 6,
            (s * 37) % 256,
            points.join(",")
        ));
    }
    canvas::parse(&format!(
        r#"{{"version":"1.0","caption":"All for you","canvas":{{"w":96,"h":96}},"steps":[{}]}}"#,
        steps.join(",")
    ))
    .expect("valid")
}

fn time<F: FnMut()>(iters: u32, mut f: F) -> f64 {
    f();
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / iters as f64
}

fn main() {
    let aurora = canvas::parse(AURORA).expect("aurora");
    let brush = brush_like();
    println!("| document | Timeline::new | render_at, playback (60 fps order) | render_at, random seek | render_final | encode_png ×8 | encode_gif 10 fps ×4 |");
    println!("|---|---|---|---|---|---|---|");
    for (name, doc) in
        [("aurora (96×96, 15 steps)", &aurora), ("brush-like (96×96, 40 pixels steps, 9216 points)", &brush)]
    {
        let new_us = time(50, || {
            black_box(Timeline::new(doc, DEFAULT_STEP_DURATION_MS));
        });
        let tl = Timeline::new(doc, DEFAULT_STEP_DURATION_MS);
        let mut img = Image::empty();
        let total = tl.duration_ms();
        // Playback: every 1/60 s from start to end, repeated.
        let frames: Vec<u64> = (0..=total * 60 / 1000).map(|k| k * 1000 / 60).collect();
        let rounds = (20_000 / frames.len()).max(1) as u32;
        let start = Instant::now();
        for _ in 0..rounds {
            for &t in &frames {
                tl.render_at(t, &mut img);
                black_box(&img);
            }
        }
        let playback = start.elapsed().as_secs_f64() * 1e6 / (rounds as f64 * frames.len() as f64);
        // Random seeks (worst case: the cached base is rebuilt when time goes backwards).
        let mut x = 12345u64;
        let seek = time(5_000, || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            tl.render_at((x >> 33) % (total + 1), &mut img);
            black_box(&img);
        });
        let fin_us = time(200, || {
            black_box(render_final(doc));
        });
        let fin = render_final(doc);
        let png_us = time(50, || {
            black_box(encode_png(&fin, 8));
        });
        let gif_us = time(2, || {
            black_box(encode_gif(&tl, 10, 4));
        });
        println!(
            "| {name} | {:.0} µs | {:.1} µs | {:.1} µs | {:.0} µs | {:.1} ms | {:.0} ms |",
            new_us,
            playback,
            seek,
            fin_us,
            png_us / 1000.0,
            gif_us / 1000.0
        );
    }
}
