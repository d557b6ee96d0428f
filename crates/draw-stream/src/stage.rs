//! The stage: where the show becomes pixels — a window when a display is available, else headless.
//!
//! The show loop (async) publishes a snapshot; [`FrameRenderer`] turns a snapshot into a full
//! broadcast frame (canvas at the current instant + HUD). The window calls it every frame on the
//! main thread, so rendering never blocks the async runtime.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::app::App;
use crate::journal::{Donation, State};
use crate::show::{Phase, ShowSnapshot, Showing};

/// Renders snapshots into frames; keeps the HUD's caches and the canvas buffer between frames.
pub struct FrameRenderer {
    hud: hud::Hud,
    canvas: canvas::Image,
    demo: bool,
    show_fps: bool,
    queue_limit: usize,
}

impl FrameRenderer {
    pub fn new(width: u32, height: u32, demo: bool, show_fps: bool, queue_limit: usize) -> FrameRenderer {
        FrameRenderer {
            hud: hud::Hud::new(width, height),
            canvas: canvas::Image { width: 0, height: 0, data: Vec::new() },
            demo,
            show_fps,
            queue_limit,
        }
    }

    /// Composes the frame for `snap` at this instant into `pixels` (0x00RRGGBB, the HUD's size).
    pub fn draw(
        &mut self,
        pixels: &mut [u32],
        snap: &ShowSnapshot,
        paused: bool,
        hidden: bool,
        status: Option<String>,
        fps: f32,
    ) {
        let state = hud_state(snap, self.demo, paused, hidden, status, self.show_fps.then_some(fps), self.queue_limit);
        let mut has_canvas = false;
        if let Some(a) = &snap.active {
            if let Showing::Drawing { timeline } = &a.showing {
                timeline.render_at(a.t_ms_now(), &mut self.canvas);
                has_canvas = true;
            }
        }
        let view = has_canvas.then(|| hud::CanvasView {
            width: self.canvas.width,
            height: self.canvas.height,
            rgba: &self.canvas.data,
        });
        self.hud.compose_into(pixels, &state, view);
    }
}

fn entry_status(d: &Donation, painting: Option<(i64, Option<f32>)>) -> hud::EntryStatus {
    if let Some((id, Some(p))) = painting {
        if id == d.id && d.state == State::Planned {
            return hud::EntryStatus::PaintingAt((p.clamp(0.0, 1.0) * 100.0) as u8);
        }
    }
    match d.state {
        State::Ready => hud::EntryStatus::Ready,
        State::Held => hud::EntryStatus::Held,
        State::Generated | State::Planned => hud::EntryStatus::Painting,
        _ => hud::EntryStatus::Checking,
    }
}

/// The HUD's view of a snapshot (pure; texts are the masked forms).
pub fn hud_state(
    snap: &ShowSnapshot,
    demo: bool,
    paused: bool,
    hidden: bool,
    status_line: Option<String>,
    fps: Option<f32>,
    queue_limit: usize,
) -> hud::HudState {
    let now = snap.active.as_ref().map(|a| {
        let kind = match &a.showing {
            Showing::Drawing { .. } => hud::ShowKind::Drawing,
            Showing::Card { text, failed: true } => hud::ShowKind::Failed { text: text.clone() },
            Showing::Card { text, failed: false } => hud::ShowKind::Refused { text: text.clone() },
        };
        let progress = if a.duration_ms == 0 { 1.0 } else { (a.t_ms_now() as f32 / a.duration_ms as f32).min(1.0) };
        hud::NowShowing {
            donor: a.donation.donor.clone(),
            amount: a.donation.amount.clone(),
            currency: a.donation.currency.clone(),
            message: a.donation.message.clone(),
            kind,
            progress,
            hold_remaining_sec: (a.phase == Phase::Holding && matches!(a.showing, Showing::Drawing { .. }))
                .then(|| a.hold_remaining.as_secs_f32().ceil() as u32),
        }
    });
    let queue = snap
        .upcoming
        .iter()
        .filter(|d| snap.active.as_ref().is_none_or(|a| a.donation.id != d.id))
        .take(queue_limit)
        .map(|d| hud::QueueEntry {
            donor: d.donor.clone(),
            amount: d.amount.clone(),
            currency: d.currency.clone(),
            message: d.message.clone(),
            status: entry_status(d, snap.painting),
        })
        .collect();
    hud::HudState { demo, hidden, paused, now, queue, caption: "All for you".into(), fps, status_line }
}

/// Presents the show until the service shuts down: in a window on this (main) thread when asked
/// for and possible, else headless (the show loop runs on the async runtime either way).
pub fn present(app: &Arc<App>, headless: bool) {
    if headless {
        return;
    }
    if !window::display_available() {
        tracing::info!("no display found: running headless (use --headless to say so)");
        return;
    }
    let s = &app.settings;
    let cfg = window::WindowConfig {
        width: s.display_width,
        height: s.display_height,
        frame_rate: s.frame_rate,
        title: "Draw Stream".into(),
    };
    let mut renderer = FrameRenderer::new(s.display_width, s.display_height, s.demo, s.show_fps, s.queue_max_size);
    // The window polls this flag every frame; the draw callback raises it once the service shuts down.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_on_shutdown = stop.clone();
    let app_for_draw = app.clone();
    let mut last = std::time::Instant::now();
    let mut fps = 0.0f32;
    // Draws straight into the window's buffer: no extra 8 MB copy per frame.
    let draw = move |pixels: &mut [u32], _w: u32, _h: u32| {
        let now = std::time::Instant::now();
        let dt = now.duration_since(last).as_secs_f32();
        last = now;
        if dt > 0.0 {
            fps = if fps == 0.0 { 1.0 / dt } else { fps * 0.95 + 0.05 / dt };
        }
        app_for_draw.window_fps.store(fps.to_bits(), Ordering::Relaxed);
        if app_for_draw.shutdown.is_cancelled() {
            stop_on_shutdown.store(true, Ordering::SeqCst);
        }
        let snap = app_for_draw.snapshot.read().unwrap_or_else(|p| p.into_inner()).clone();
        let status = app_for_draw.health.read().ok().and_then(|h| h.intake.clone());
        renderer.draw(pixels, &snap, app_for_draw.control.is_paused(), app_for_draw.control.is_hidden(), status, fps);
    };
    match window::run_in_place(cfg, draw, stop) {
        Ok(window::WindowExit::Closed) => {
            tracing::info!("window closed: shutting down");
            app.shutdown.cancel();
        }
        Ok(window::WindowExit::Stopped) => {}
        Err(e) => tracing::warn!(error = %e, "cannot open the window; continuing headless"),
    }
}
