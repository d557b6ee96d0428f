//! Compose-time benchmark: `cargo run --release -p hud --example bench_compose [ITERATIONS]`.
//!
//! Times one full frame mid-animation (drawing at 42 %, six queue entries, DEMO, FPS, status line) at
//! the three broadcast sizes on the calling thread, and prints min / median / p99 / max in ms, plus
//! the floor set by the backdrop copy alone.

use std::time::Instant;

use hud::{CanvasView, EntryStatus, Frame, Hud, HudState, NowShowing, QueueEntry, ShowKind};

fn canvas(t: u32) -> Vec<u8> {
    let mut v = vec![0u8; 96 * 96 * 4];
    for y in 0..96u32 {
        for x in 0..96u32 {
            let i = ((y * 96 + x) * 4) as usize;
            v[i..i + 4].copy_from_slice(&[(x * 2 + t) as u8, (y * 2) as u8, ((x ^ y) * 3) as u8, 255]);
        }
    }
    v
}

fn state(i: u32) -> HudState {
    let entry = |d: &str, m: &str, s| QueueEntry {
        donor: d.into(),
        amount: "300".into(),
        currency: "RUB".into(),
        message: m.into(),
        status: s,
    };
    HudState {
        demo: true,
        hidden: false,
        paused: false,
        now: Some(NowShowing {
            donor: "Аня_Художница".into(),
            amount: "500".into(),
            currency: "RUB".into(),
            message: "Нарисуй уютную избушку под северным сиянием, с котом на крыльце 🐱 и луной над горами; draw a cozy cabin".into(),
            kind: ShowKind::Drawing,
            progress: (i % 100) as f32 / 100.0,
            hold_remaining_sec: None,
        }),
        queue: vec![
            entry("PixelFan", "a red dragon over a castle", EntryStatus::Ready),
            entry("Гость", "маяк в шторм", EntryStatus::Painting),
            entry("night_owl", "an owl reading a book", EntryStatus::Checking),
            entry("anon", "**** ***", EntryStatus::Held),
            entry("late", "a cat", EntryStatus::Ready),
            entry("later", "a dog", EntryStatus::Ready),
        ],
        caption: "All for you".into(),
        fps: Some(60.0),
        status_line: Some("Donation Alerts: reconnecting in 5 s".into()),
    }
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (p(0.0), p(0.5), p(0.99), p(1.0))
}

fn main() {
    let iters: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(300);
    println!("compose one frame, {iters} iterations each, single thread (ms)");
    println!(
        "{:>10} | {:>9} | {:>6} | {:>6} | {:>6} | {:>6} | {:>12}",
        "size", "new (ms)", "min", "median", "p99", "max", "copy floor"
    );
    println!("{:-<10}-+-{:-<9}-+-{:-<6}-+-{:-<6}-+-{:-<6}-+-{:-<6}-+-{:-<12}", "", "", "", "", "", "", "");
    for (w, h) in [(1280u32, 720u32), (1920, 1080), (2400, 1350)] {
        let t0 = Instant::now();
        let mut hud = Hud::new(w, h);
        let new_ms = t0.elapsed().as_secs_f64() * 1e3;
        let mut frame = Frame::new(w, h);
        let canvases: Vec<Vec<u8>> = (0..8).map(canvas).collect();
        let states: Vec<HudState> = (0..100).map(state).collect();
        // Warm-up.
        for i in 0..20 {
            hud.compose(
                &mut frame,
                &states[i % 100],
                Some(CanvasView { width: 96, height: 96, rgba: &canvases[i % 8] }),
            );
        }
        let mut times = Vec::with_capacity(iters as usize);
        for i in 0..iters as usize {
            let st = &states[i % 100];
            let c = &canvases[i % 8];
            let t = Instant::now();
            hud.compose(&mut frame, st, Some(CanvasView { width: 96, height: 96, rgba: c }));
            times.push(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(&frame.pixels);
        }
        // The floor: copying a full frame once.
        let src = frame.pixels.clone();
        let mut copies = Vec::new();
        for _ in 0..iters.min(200) {
            let t = Instant::now();
            frame.pixels.copy_from_slice(std::hint::black_box(&src));
            copies.push(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(&frame.pixels);
        }
        let (min, med, p99, max) = stats(times);
        let (_, copy_med, _, _) = stats(copies);
        println!(
            "{:>10} | {:>9.1} | {:>6.2} | {:>6.2} | {:>6.2} | {:>6.2} | {:>12.2}",
            format!("{w}x{h}"),
            new_ms,
            min,
            med,
            p99,
            max,
            copy_med
        );
    }
}
