//! The broadcast window with the full HUD, animating the reference document (aurora cabin) through the
//! real Canvas-DSL timeline, looped: draw, hold 3 s, a refusal card, again.
//!
//! ```text
//! cargo run --release -p window --example showcase -- [--seconds N] [--fps F] [--size WxH] [--doc PLAN.json] [--copy]
//! ```
//! It prints frames per second, the worst frame interval, compose time and this process's CPU use
//! (from /proc/self/stat, Linux). `--copy` uses `window::run` (draw into a hud::Frame, then copy)
//! instead of drawing straight into softbuffer's buffer.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hud::{CanvasView, EntryStatus, Hud, HudState, NowShowing, QueueEntry, ShowKind};

struct Args {
    seconds: f64,
    fps: u32,
    width: u32,
    height: u32,
    doc: std::path::PathBuf,
    copy: bool,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 10.0,
        fps: 60,
        width: 1920,
        height: 1080,
        doc: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../canvas/tests/fixtures/aurora_cabin_plan.json"),
        copy: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--seconds" => a.seconds = it.next().and_then(|v| v.parse().ok()).expect("--seconds N"),
            "--fps" => a.fps = it.next().and_then(|v| v.parse().ok()).expect("--fps F"),
            "--size" => {
                let v = it.next().expect("--size WxH");
                let (w, h) = v.split_once('x').expect("--size WxH");
                a.width = w.parse().expect("width");
                a.height = h.parse().expect("height");
            }
            "--doc" => a.doc = it.next().expect("--doc PATH").into(),
            "--copy" => a.copy = true,
            other => {
                eprintln!("unknown argument {other}\nusage: showcase [--seconds N] [--fps F] [--size WxH] [--doc PLAN.json] [--copy]");
                std::process::exit(2);
            }
        }
    }
    a
}

/// utime + stime of this process in seconds (Linux; 0 elsewhere). Assumes CLK_TCK = 100, the Linux
/// default on every mainstream architecture.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the ")" field 3 (state) is f[0]; utime is field 14 → f[11], stime field 15 → f[12].
    let ticks: u64 =
        f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

#[derive(Default)]
struct Stats {
    frames: u64,
    first: Option<Instant>,
    last: Option<Instant>,
    worst_interval: Duration,
    compose_total: Duration,
    compose_worst: Duration,
    cpu_at_first: f64,
}

fn queue() -> Vec<QueueEntry> {
    let e = |d: &str, a: &str, c: &str, m: &str, s| QueueEntry {
        donor: d.into(),
        amount: a.into(),
        currency: c.into(),
        message: m.into(),
        status: s,
    };
    vec![
        e("PixelFan", "5", "USD", "a red dragon over a castle at sunset", EntryStatus::Ready),
        e("Гость", "300", "RUB", "маяк в шторм, волны и чайки", EntryStatus::Painting),
        e("night_owl", "10", "EUR", "an owl reading a book by candlelight", EntryStatus::Checking),
        e("anon", "100", "RUB", "**** ***", EntryStatus::Held),
        e("Лиса", "150", "RUB", "лиса в снегу 🦊", EntryStatus::Ready),
        e("late", "1", "USD", "a cat in a box", EntryStatus::Ready),
    ]
}

fn main() {
    let a = args();
    if !window::display_available() {
        eprintln!("no display (DISPLAY / WAYLAND_DISPLAY unset); try: Xvfb :99 -screen 0 1920x1080x24 & DISPLAY=:99 cargo run ...");
        std::process::exit(1);
    }
    let text = std::fs::read_to_string(&a.doc).unwrap_or_else(|e| panic!("read {}: {e}", a.doc.display()));
    let doc = canvas::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", a.doc.display()));
    let timeline = canvas::Timeline::new(&doc, canvas::DEFAULT_STEP_DURATION_MS);
    let draw_ms = timeline.duration_ms();
    let hold_ms = 3_000;
    let card_ms = 3_000;
    let cycle = draw_ms + hold_ms + card_ms;
    println!(
        "document {} ({} ms of animation), window {}x{} at {} FPS for {} s",
        a.doc.display(),
        draw_ms,
        a.width,
        a.height,
        a.fps,
        a.seconds
    );

    let mut hud = Hud::new(a.width, a.height);
    let mut img = canvas::Image::empty();
    let stats = Rc::new(RefCell::new(Stats::default()));
    let st2 = stats.clone();
    let start = Instant::now();
    let mut base = HudState {
        demo: true,
        queue: queue(),
        caption: "All for you".into(),
        fps: Some(0.0),
        status_line: None,
        ..HudState::default()
    };
    let mut fps_window: (Instant, u64) = (Instant::now(), 0);

    let mut draw = move |pixels: &mut [u32], _w: u32, _h: u32| {
        let now = Instant::now();
        let t = now.duration_since(start).as_millis() as u64 % cycle.max(1);
        let (kind, progress, hold) = if t < draw_ms {
            (ShowKind::Drawing, timeline.progress_at(t), None)
        } else if t < draw_ms + hold_ms {
            (ShowKind::Drawing, 1.0, Some(((draw_ms + hold_ms - t) / 1000 + 1) as u32))
        } else {
            (
                ShowKind::Refused {
                    text: "This request can't be drawn on stream. Thanks for the support anyway!".into(),
                },
                1.0,
                Some(((cycle - t) / 1000 + 1) as u32),
            )
        };
        timeline.render_at(t.min(draw_ms), &mut img);
        // On-screen FPS, refreshed twice a second.
        fps_window.1 += 1;
        let fw = now.duration_since(fps_window.0);
        if fw >= Duration::from_millis(500) {
            base.fps = Some(fps_window.1 as f32 / fw.as_secs_f32());
            fps_window = (now, 0);
        }
        base.now = Some(NowShowing {
            donor: "Аня_Художница".into(),
            amount: "500".into(),
            currency: "RUB".into(),
            message: "Нарисуй уютную избушку под северным сиянием, с луной над горами и звёздами".into(),
            kind,
            progress,
            hold_remaining_sec: hold,
        });
        let c0 = Instant::now();
        hud.compose_into(pixels, &base, Some(CanvasView { width: img.width, height: img.height, rgba: &img.data }));
        let ct = c0.elapsed();
        let mut s = st2.borrow_mut();
        if s.first.is_none() {
            s.first = Some(now);
            s.cpu_at_first = cpu_seconds();
        }
        if let Some(last) = s.last {
            s.worst_interval = s.worst_interval.max(now - last);
        }
        s.last = Some(now);
        s.frames += 1;
        s.compose_total += ct;
        s.compose_worst = s.compose_worst.max(ct);
    };

    let stop = Arc::new(AtomicBool::new(false));
    let stopper = stop.clone();
    let secs = a.seconds;
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs_f64(secs));
        stopper.store(true, Ordering::Relaxed);
    });
    let cfg = window::WindowConfig { width: a.width, height: a.height, frame_rate: a.fps, title: "Draw Stream".into() };
    let result = if a.copy {
        let mut frame_draw = move |f: &mut hud::Frame| {
            let (w, h) = (f.width, f.height);
            draw(&mut f.pixels, w, h)
        };
        window::run(cfg, move |f| frame_draw(f), stop)
    } else {
        window::run_in_place(cfg, draw, stop)
    };
    let cpu_end = cpu_seconds();
    match result {
        Ok(exit) => println!("window exit: {exit:?}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
    let s = stats.borrow();
    let (Some(first), Some(last)) = (s.first, s.last) else {
        println!("no frames drawn");
        return;
    };
    let span = (last - first).as_secs_f64().max(1e-9);
    let fps = (s.frames.saturating_sub(1)) as f64 / span;
    let cpu = (cpu_end - s.cpu_at_first) / span * 100.0;
    println!("frames          {}", s.frames);
    println!("fps             {fps:.1} (target {})", a.fps);
    println!("worst interval  {:.1} ms", s.worst_interval.as_secs_f64() * 1e3);
    println!(
        "compose mean    {:.2} ms, worst {:.2} ms",
        s.compose_total.as_secs_f64() * 1e3 / s.frames as f64,
        s.compose_worst.as_secs_f64() * 1e3
    );
    println!("cpu (process)   {cpu:.1} % of one core");
}
