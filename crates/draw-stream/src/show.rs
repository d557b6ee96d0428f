//! The show loop: one thing on screen at a time — a drawing (animated, then held) or a card.
//!
//! It runs on the async runtime but never renders: it advances the show clock from elapsed time,
//! moves rows `ready → showing → shown` in the journal, and publishes a [`crate::snapshot::ShowSnapshot`] that the
//! window, the overlay and `/queue` read. Rendering happens elsewhere, from the snapshot.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{info, warn};

use crate::app::App;
use crate::journal::{Donation, ScreenItem};
use crate::snapshot::{Active, Phase, Showing};

struct Current {
    donation: Donation,
    showing: Showing,
    phase: Phase,
    clock: Duration,
    duration: Duration,
    hold_left: Duration,
}

/// Runs the show until shutdown; on shutdown an unfinished drawing goes back to `ready`.
pub async fn run(app: Arc<App>) {
    let s = &app.settings;
    let tick = Duration::from_secs_f64(1.0 / f64::from(s.frame_rate.clamp(1, 240)));
    let mut current: Option<Current> = None;
    let mut last = Instant::now();
    let mut last_upcoming = Instant::now() - Duration::from_secs(10);
    let mut upcoming = Vec::new();
    let mut fps = 0.0f32;
    let upcoming_limit = s.queue_max_size.max(5);

    loop {
        let idle = current.is_none();
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = app.wake.screen.notified(), if idle => {}
            _ = app.shutdown.cancelled() => break,
        }
        let now = Instant::now();
        let dt = now - last;
        last = now;
        // The show loop's frame time (what a viewer would see as stutter); the soak bench reads it.
        metrics::histogram!("drawstream_show_frame_seconds").record(dt.as_secs_f64());
        if dt > Duration::ZERO {
            fps = fps * 0.9 + 0.1 / dt.as_secs_f32();
        }
        let hidden = app.control.is_hidden();

        if app.control.skip.swap(false, Ordering::SeqCst) {
            if let Some(c) = current.take() {
                end_skipped(&app, c).await;
            }
        }

        if current.is_none() && !hidden && !app.control.is_paused() {
            current = start_next(&app).await;
            last_upcoming = now - Duration::from_secs(10);
        }

        if let Some(c) = current.as_mut() {
            if !hidden {
                advance(&app, c, dt).await;
            }
            if c.phase == Phase::Holding && c.hold_left.is_zero() {
                info!(donation = c.donation.id, "off screen");
                current = None;
                app.wake.generate.notify_one();
                app.wake.screen.notify_one();
            }
        }

        if now.duration_since(last_upcoming) >= Duration::from_millis(200) {
            upcoming = app.journal.call(move |j| j.upcoming(upcoming_limit)).await.unwrap_or_default();
            last_upcoming = now;
        }
        publish(&app, current.as_ref(), &upcoming, fps, !hidden);
    }

    if let Some(c) = current {
        if matches!(c.showing, Showing::Drawing { .. }) && c.phase == Phase::Drawing {
            let id = c.donation.id;
            let _ = app.journal.call(move |j| j.unshow(id)).await;
            info!(donation = id, "shutdown mid-drawing: it will be drawn again after restart");
        }
    }
}

async fn start_next(app: &App) -> Option<Current> {
    let item = match app.journal.call(|j| j.next_for_screen()).await {
        Ok(item) => item?,
        Err(e) => {
            warn!(error = %e, "journal read failed");
            return None;
        }
    };
    let s = &app.settings;
    match item {
        ScreenItem::Card { donation } => {
            let id = donation.id;
            if !app.journal.call(move |j| j.card_shown(id)).await.unwrap_or(false) {
                return None;
            }
            info!(donation = id, state = donation.state.as_str(), "card on screen");
            let failed = donation.state == crate::journal::State::Failed;
            let text = donation.card_text.clone().unwrap_or_else(|| "Sorry, not this one".into());
            Some(Current {
                donation,
                showing: Showing::Card { text, failed },
                phase: Phase::Holding,
                clock: Duration::ZERO,
                duration: Duration::ZERO,
                hold_left: s.card_duration,
            })
        }
        ScreenItem::Drawing { mut donation, document } => {
            let id = donation.id;
            let doc = match canvas::parse(&document) {
                Ok(doc) => doc,
                Err(e) => {
                    warn!(donation = id, error = %e, "stored drawing is invalid");
                    let reason = format!("stored drawing is invalid: {e}");
                    let _ = app.journal.call(move |j| j.fail_ready(id, &reason)).await;
                    return None;
                }
            };
            let timeline = Arc::new(canvas::Timeline::new(&doc, s.default_step_duration_ms));
            if !app.journal.call(move |j| j.start_showing(id)).await.unwrap_or(false) {
                return None;
            }
            donation.state = crate::journal::State::Showing;
            let duration = Duration::from_millis(timeline.duration_ms());
            info!(donation = id, duration_ms = duration.as_millis() as u64, "drawing on screen");
            metrics::counter!("drawstream_drawings_started_total").increment(1);
            Some(Current {
                donation,
                showing: Showing::Drawing { timeline },
                phase: Phase::Drawing,
                clock: Duration::ZERO,
                duration,
                hold_left: s.show_duration,
            })
        }
    }
}

async fn advance(app: &Arc<App>, c: &mut Current, dt: Duration) {
    match c.phase {
        Phase::Drawing => {
            c.clock = (c.clock + dt).min(c.duration);
            if c.clock >= c.duration {
                let id = c.donation.id;
                match app.journal.call(move |j| j.finish_showing(id)).await {
                    Ok(true) => {
                        info!(donation = id, "drawing complete; shown");
                        if let Showing::Drawing { timeline } = &c.showing {
                            let (timeline, dir) = (timeline.clone(), app.settings.data_dir.clone());
                            let (journal, keep) = (app.journal.clone(), app.settings.keep_raw_images);
                            let limits = app.settings.gallery_limits;
                            let app = app.clone();
                            // Off the runtime: a GIF of a whole drawing takes a moment to encode.
                            tokio::task::spawn_blocking(move || {
                                if let Err(e) = crate::gallery::save(&dir, id, &timeline) {
                                    let problem = crate::storage::Problem::of_io(&e);
                                    app.storage.failed(problem, &crate::gallery::dir(&dir), &e);
                                    tracing::warn!(donation = id, error = %e, "could not save the drawing to the gallery");
                                    return;
                                }
                                match crate::gallery::enforce(&dir, limits) {
                                    Ok(gone) if !gone.is_empty() => tracing::info!(
                                        removed = ?gone,
                                        "gallery over GALLERY_MAX_MB / GALLERY_MAX_DAYS: the oldest drawings' files removed (journal rows stay)"
                                    ),
                                    Ok(_) => {}
                                    Err(e) => {
                                        tracing::warn!(error = %e, "could not keep the gallery within its limits")
                                    }
                                }
                                // Its gallery files are written: the raw image is no longer needed.
                                match journal.prune_raw_images(keep) {
                                    Ok(n) if n > 0 => {
                                        tracing::debug!(dropped = n, "raw images dropped from the journal")
                                    }
                                    Ok(_) => {}
                                    Err(e) => tracing::warn!(error = %e, "could not drop old raw images"),
                                }
                            });
                        }
                    }
                    Ok(false) => warn!(donation = id, "drawing finished but its row had moved on"),
                    // Disk full: the finished drawing stays on screen until it is recorded as shown
                    // (tried again every frame), so a restart can never draw it a second time.
                    Err(e) if app.storage.journal_failed(&e) => return,
                    Err(e) => warn!(donation = id, error = %e, "could not record the drawing as shown"),
                }
                metrics::counter!("drawstream_drawings_shown_total").increment(1);
                c.phase = Phase::Holding;
            }
        }
        Phase::Holding => c.hold_left = c.hold_left.saturating_sub(dt),
    }
}

async fn end_skipped(app: &App, c: Current) {
    let id = c.donation.id;
    if matches!(c.showing, Showing::Drawing { .. }) && c.phase == Phase::Drawing {
        let _ = app.journal.call(move |j| j.skip_showing(id)).await;
        info!(donation = id, "skipped mid-drawing");
    } else {
        info!(donation = id, "skipped");
    }
    app.wake.generate.notify_one();
}

fn publish(app: &App, c: Option<&Current>, upcoming: &[Donation], fps: f32, running: bool) {
    let active = c.map(|c| Active {
        donation: c.donation.clone(),
        showing: c.showing.clone(),
        phase: c.phase,
        t_ms: c.clock.as_millis() as u64,
        duration_ms: c.duration.as_millis() as u64,
        hold_remaining: c.hold_left,
        at: Instant::now(),
        running,
    });
    let mut snap = app.snapshot.write().unwrap_or_else(|p| p.into_inner());
    snap.active = active;
    if snap.upcoming.len() != upcoming.len()
        || snap.upcoming.iter().zip(upcoming).any(|(a, b)| a.id != b.id || a.state != b.state)
    {
        snap.upcoming = upcoming.to_vec();
    }
    snap.fps = fps;
    snap.painting = app
        .in_flight
        .job
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|(id, _)| (*id, app.backend.progress()));
}
