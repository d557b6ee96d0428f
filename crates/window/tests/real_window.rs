//! A real window under whatever display is available (Xvfb in CI if installed): it opens at the
//! configured size, calls `draw` at about the frame rate, and returns `Stopped` when asked.
//! Run: `Xvfb :99 -screen 0 1280x720x24 & DISPLAY=:99 cargo test -p window --test real_window`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    if !window::display_available() {
        println!("real_window: skipped (no DISPLAY / WAYLAND_DISPLAY)");
        println!("0 passed, 0 failed, 1 skipped");
        return;
    }
    let frames = Arc::new(AtomicU64::new(0));
    let counted = frames.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let stopper = stop.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        stopper.store(true, Ordering::Relaxed);
    });
    let cfg = window::WindowConfig { width: 640, height: 360, frame_rate: 30, title: "Draw Stream".into() };
    let started = Instant::now();
    let sizes_ok = Arc::new(AtomicBool::new(true));
    let sizes = sizes_ok.clone();
    // From a spawned thread: the service may keep its async runtime on the main thread.
    let exit = std::thread::spawn(move || {
        window::run_in_place(
            cfg,
            move |px, w, h| {
                if (w, h) != (640, 360) || px.len() != 640 * 360 {
                    sizes.store(false, Ordering::Relaxed);
                }
                px.fill(0x203040);
                counted.fetch_add(1, Ordering::Relaxed);
            },
            stop,
        )
    })
    .join()
    .expect("window thread panicked");
    let elapsed = started.elapsed().as_secs_f64();
    let n = frames.load(Ordering::Relaxed);
    let mut failed = Vec::new();
    match exit {
        Ok(window::WindowExit::Stopped) => {}
        other => failed.push(format!("expected Ok(Stopped), got {other:?}")),
    }
    if !sizes_ok.load(Ordering::Relaxed) {
        failed.push("draw got a buffer of the wrong size".into());
    }
    // 30 FPS for ~1.5 s: allow a slow start and a loaded machine, but not a free-running loop.
    let fps = n as f64 / elapsed;
    if !(5.0..=40.0).contains(&fps) {
        failed.push(format!("{n} frames in {elapsed:.2} s ({fps:.1} FPS), expected about 30"));
    }
    if failed.is_empty() {
        println!("real_window: ok ({n} frames, {fps:.1} FPS)");
        println!("1 passed, 0 failed");
    } else {
        println!("real_window: FAILED\n{}", failed.join("\n"));
        println!("0 passed, 1 failed");
        std::process::exit(1);
    }
}
