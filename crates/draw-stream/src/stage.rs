//! The stage: where the show becomes pixels — a window when a display is available, else headless.
//!
//! The show loop (async) publishes a snapshot; [`FrameRenderer`] turns a snapshot into a full
//! broadcast frame (canvas at the current instant + HUD). The window calls it every frame on the
//! main thread, so rendering never blocks the async runtime.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::app::App;
use crate::journal::{Donation, State};
use crate::snapshot::{Phase, ShowSnapshot, Showing};

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

/// Shown instead of the words of a request that a moderator must look at first.
pub const WAITING_FOR_APPROVAL: &str = "waiting for approval";
/// Shown instead of the words of a request that the text checks have not finished with.
pub const BEING_CHECKED: &str = "being checked…";
/// Shown instead of the words of a refused request (its card says why).
pub const NOT_SHOWN: &str = "(request not shown)";

/// The words of a request as the public surfaces (window, overlay) may show them: the masked text
/// once every text check has passed it (the planner, the last text check, has written a prompt),
/// else only a placeholder — a held request's words are exactly what a moderator must see first,
/// and a refused one's words never reach the screen. The panel and the API show everything.
pub fn public_message(d: &Donation) -> String {
    let passed_checks = d.prompt.is_some();
    match d.state {
        State::Held => WAITING_FOR_APPROVAL.to_owned(),
        State::Received | State::Moderated => BEING_CHECKED.to_owned(),
        State::Refused => NOT_SHOWN.to_owned(),
        _ if passed_checks => d.message.clone(),
        _ => NOT_SHOWN.to_owned(),
    }
}

/// The HUD's view of a snapshot (pure; texts are the masked forms, and a request's words only
/// after every text check passed them: [`public_message`]).
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
            message: public_message(&a.donation),
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
            message: public_message(d),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, state: State, message: &str, prompt: Option<&str>) -> Donation {
        Donation {
            id,
            source: "manual".into(),
            source_id: id.to_string(),
            state,
            donor: format!("donor{id}"),
            message: message.into(),
            amount: "5".into(),
            currency: "USD".into(),
            amount_in_user_currency: None,
            received_at: String::new(),
            updated_at: String::new(),
            reason: None,
            verdict: None,
            category: None,
            card_text: None,
            card_pending: false,
            prompt: prompt.map(str::to_owned),
            shown_at: None,
            show_count: 0,
            message_type: "text".into(),
            raw_message: message.into(),
            raw_donor: format!("donor{id}"),
            negative_prompt: None,
            seed: None,
            image_check: None,
            priority: false,
            draw_now: false,
            turn: 0,
            bump: 0,
            request: None,
        }
    }

    #[test]
    fn the_public_hud_shows_a_requests_words_only_after_every_text_check_passed_them() {
        let upcoming = vec![
            row(1, State::Received, "draw the secret word one", None),
            row(2, State::Moderated, "draw the secret word two", None),
            row(3, State::Held, "draw the secret word three", Some("pixel art, three")),
            row(4, State::Refused, "draw the secret word four", None),
            row(5, State::Planned, "a fox in the snow", Some("pixel art, fox")),
            row(6, State::Ready, "a cabin at night", Some("pixel art, cabin")),
            row(7, State::Failed, "draw the secret word seven", None),
        ];
        let snap = ShowSnapshot { upcoming, ..ShowSnapshot::default() };
        let st = hud_state(&snap, false, false, false, None, None, 10);
        let shown: Vec<(&str, &str)> = st.queue.iter().map(|e| (e.donor.as_str(), e.message.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("donor1", BEING_CHECKED),
                ("donor2", BEING_CHECKED),
                ("donor3", WAITING_FOR_APPROVAL),
                ("donor4", NOT_SHOWN),
                ("donor5", "a fox in the snow"),
                ("donor6", "a cabin at night"),
                ("donor7", NOT_SHOWN),
            ]
        );
        assert!(!format!("{st:?}").contains("secret"), "no unchecked, held or refused words anywhere: {st:?}");
    }
}
