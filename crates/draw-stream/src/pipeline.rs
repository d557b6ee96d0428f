//! Stage workers: moderate → plan → generate → convert, each a supervised loop over the journal.
//!
//! A worker claims the oldest row in its input state, does the work in a separate task (so a panic
//! is caught and becomes that donation's `failed` state), and advances the row. Shutdown while a
//! step runs rolls the claim back: the step is repeated after restart, never skipped.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use generation::{DonationBrief, ImageRequest, PlanDecision};
use tokio::sync::Notify;
use tracing::{info, warn, Instrument};

use crate::app::App;
use crate::cards::{self, Card};
use crate::config::ModerationMode;
use crate::journal::{Donation, State, Update};
use moderation::VerdictKind;

/// One stage of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Moderate,
    Plan,
    Generate,
    Convert,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::Moderate, Stage::Plan, Stage::Generate, Stage::Convert];

    fn name(self) -> &'static str {
        match self {
            Stage::Moderate => "moderate",
            Stage::Plan => "plan",
            Stage::Generate => "generate",
            Stage::Convert => "convert",
        }
    }

    fn input(self) -> State {
        match self {
            Stage::Moderate => State::Received,
            Stage::Plan => State::Moderated,
            Stage::Generate => State::Planned,
            Stage::Convert => State::Generated,
        }
    }

    fn wake(self, app: &App) -> &Notify {
        match self {
            Stage::Moderate => &app.wake.moderate,
            Stage::Plan => &app.wake.plan,
            Stage::Generate => &app.wake.generate,
            Stage::Convert => &app.wake.convert,
        }
    }

    /// The stage that takes over after a successful step.
    fn next_wake(self, app: &App) -> &Notify {
        match self {
            Stage::Moderate => &app.wake.plan,
            Stage::Plan => &app.wake.generate,
            Stage::Generate => &app.wake.convert,
            Stage::Convert => &app.wake.screen,
        }
    }
}

/// What a step decided for its donation.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub to: State,
    pub update: Update,
}

impl Outcome {
    fn to(to: State, update: Update) -> Outcome {
        Outcome { to, update }
    }

    /// A refusal with a card (moderation, planner, fail-closed).
    fn refuse(reason: impl Into<String>, card: impl Into<String>, category: Option<String>) -> Outcome {
        Outcome::to(
            State::Refused,
            Update { reason: Some(reason.into()), card_text: Some(card.into()), category, ..Update::default() },
        )
    }

    /// A failure; [`step`] adds the "could not draw this" card in the donor's language.
    fn fail(reason: impl Into<String>) -> Outcome {
        Outcome::to(State::Failed, Update { reason: Some(reason.into()), ..Update::default() })
    }
}

/// Runs one stage until shutdown.
pub async fn run_stage(app: Arc<App>, stage: Stage) {
    let span = tracing::info_span!("stage", stage = stage.name());
    async move {
        loop {
            if app.shutdown.is_cancelled() {
                break;
            }
            // Disk full or read-only: start no work that could not be recorded.
            app.storage.wait_writable(&app.shutdown).await;
            if stage == Stage::Generate && !lookahead_free(&app).await {
                wait(&app, &app.wake.generate).await;
                continue;
            }
            let claimed = app.journal.call(move |j| j.claim(stage.input())).await;
            let donation = match claimed {
                Ok(Some(d)) => d,
                Ok(None) => {
                    wait(&app, stage.wake(&app)).await;
                    continue;
                }
                Err(e) => {
                    if !app.storage.journal_failed(&e) {
                        warn!(error = %e, "journal claim failed; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    continue;
                }
            };
            step(&app, stage, donation).await;
        }
    }
    .instrument(span)
    .await
}

/// Waits for a wake-up, a periodic re-check, or shutdown.
async fn wait(app: &App, notify: &Notify) {
    tokio::select! {
        _ = notify.notified() => {}
        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        _ = app.shutdown.cancelled() => {}
    }
}

async fn lookahead_free(app: &App) -> bool {
    let limit = app.settings.lookahead;
    app.journal.call(move |j| j.generation_allowed(limit).unwrap_or(false)).await
}

/// Runs one step for one donation, supervised, and records the outcome.
async fn step(app: &Arc<App>, stage: Stage, d: Donation) {
    let id = d.id;
    let message = d.raw_message.clone();
    let started = Instant::now();
    let task = tokio::spawn(process(app.clone(), stage, d).instrument(tracing::info_span!("donation", donation = id)));
    let abort = task.abort_handle();
    let outcome = tokio::select! {
        joined = task => match joined {
            Ok(o) => o,
            Err(e) if e.is_panic() => {
                let msg = panic_message(e.into_panic());
                warn!(donation = id, stage = stage.name(), panic = %msg, "step panicked; donation failed, pipeline continues");
                Outcome::fail(format!("internal error in {}: {msg}", stage.name()))
            }
            Err(e) => Outcome::fail(format!("internal error in {}: {e}", stage.name())),
        },
        _ = app.shutdown.cancelled() => {
            abort.abort();
            let _ = app.journal.call(move |j| j.release(id)).await;
            info!(donation = id, stage = stage.name(), "shutdown: step rolled back, it will be repeated after restart");
            return;
        }
    };
    metrics::histogram!("drawstream_stage_seconds", "stage" => stage.name()).record(started.elapsed().as_secs_f64());
    let mut outcome = outcome;
    if outcome.to == State::Failed && outcome.update.card_text.is_none() {
        outcome.update.card_text = Some(cards::text(&app.settings, Card::Failed, &message));
    }
    let to = outcome.to;
    let reason = outcome.update.reason.clone();
    // A full or read-only disk: keep the finished work (a painted picture is GPU time) and record it
    // once writing works again, instead of dropping it and doing it over.
    let applied = loop {
        let update = outcome.update.clone();
        let applied = app.journal.call(move |j| j.advance(id, stage.input(), to, update)).await;
        match applied {
            Err(e) if app.storage.journal_failed(&e) && !app.shutdown.is_cancelled() => {
                warn!(donation = id, stage = stage.name(), "cannot record the result yet; it waits for the disk");
                app.storage.wait_writable(&app.shutdown).await;
            }
            other => break other,
        }
    };
    match applied {
        Ok(true) => {
            info!(
                donation = id,
                stage = stage.name(),
                state = to.as_str(),
                reason = reason.as_deref().unwrap_or(""),
                "advanced"
            );
            metrics::counter!("drawstream_transitions_total", "to" => to.as_str()).increment(1);
            if matches!(to, State::Refused | State::Failed | State::Held) {
                app.wake.screen.notify_one();
            } else {
                stage.next_wake(app).notify_one();
            }
        }
        Ok(false) => info!(donation = id, stage = stage.name(), "row changed meanwhile (cleared?); result dropped"),
        Err(e) => {
            warn!(donation = id, error = %e, "journal write failed; step will be repeated");
            let _ = app.journal.call(move |j| j.release(id)).await;
        }
    }
    // A freed look-ahead slot or a new card may unblock the screen and the generator.
    app.wake.generate.notify_one();
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

async fn process(app: Arc<App>, stage: Stage, d: Donation) -> Outcome {
    match stage {
        Stage::Moderate => moderate(&app, &d),
        Stage::Plan => plan(&app, &d).await,
        Stage::Generate => generate(&app, &d).await,
        Stage::Convert => convert(&app, &d).await,
    }
}

/// The word layer (built-in lists plus the streamer's rules) decides first: a block refuses; a
/// streamer's `hold` rule, or approve-all mode, makes the request wait for a moderator.
pub fn moderate(app: &App, d: &Donation) -> Outcome {
    if d.message_type == "audio" {
        return Outcome::refuse(
            "voice message, not a drawing request",
            cards::text(&app.settings, Card::Voice, &d.donor),
            None,
        );
    }
    // With a trigger word, "!draw" alone is no request either.
    if d.raw_message.trim().is_empty() || d.planner_text().trim().is_empty() {
        return Outcome::refuse("no drawing request", format!("Thank you, {}!", d.donor), None);
    }
    let v = app.rules.moderator().check(&d.raw_message);
    let category = v.category.map(|c| c.as_str().to_owned());
    let by = match &v.rule {
        Some(rule) => format!("your rule {rule:?}"),
        None => "the word filter".to_owned(),
    };
    match v.verdict {
        VerdictKind::Block => Outcome::refuse(
            format!("blocked by {by} ({})", category.as_deref().unwrap_or("other")),
            cards::text(&app.settings, Card::Blocked, &d.raw_message),
            category,
        ),
        VerdictKind::Hold => Outcome::to(
            State::Held,
            Update { verdict: Some("hold".into()), reason: Some(format!("held by {by}")), ..Update::default() },
        ),
        verdict @ (VerdictKind::Allow | VerdictKind::Profanity) => {
            let update = Update { verdict: Some(verdict.as_str().into()), ..Update::default() };
            if app.settings.moderation_mode == ModerationMode::ApproveAll {
                Outcome::to(State::Held, Update { reason: Some("waiting for a moderator".into()), ..update })
            } else {
                Outcome::to(State::Moderated, update)
            }
        }
    }
}

/// The planner turns the (masked) request, without the trigger word, into a prompt, or refuses; a failing planner refuses (fail closed).
async fn plan(app: &App, d: &Donation) -> Outcome {
    let brief = DonationBrief {
        id: d.id,
        donor: d.donor.clone(),
        amount: d.amount.clone(),
        currency: d.currency.clone(),
        message: d.planner_text().to_owned(),
        locale: app.settings.locale.clone(),
    };
    let _turn = app.gpu_turn().await;
    match app.planner.plan(&brief).await {
        Ok(PlanDecision::Draw(p)) => Outcome::to(
            State::Planned,
            Update {
                prompt: Some(p.prompt),
                negative_prompt: Some(p.negative_prompt),
                seed: Some((p.seed & 0x7FFF_FFFF_FFFF_FFFF) as i64),
                ..Update::default()
            },
        ),
        Ok(PlanDecision::Refuse(r)) => {
            Outcome::refuse(format!("refused by the planner: {}", r.reason), r.text, r.category)
        }
        Err(e) => {
            warn!(donation = d.id, error = %e, "planner failed; refusing (fail closed)");
            Outcome::refuse(
                format!("planner failed: {e}"),
                cards::text(&app.settings, Card::Unchecked, &d.raw_message),
                None,
            )
        }
    }
}

/// Paints the prompt; `clear` interrupts the job on the image server.
async fn generate(app: &App, d: &Donation) -> Outcome {
    let request = ImageRequest {
        donation_id: d.id,
        prompt: d.prompt.clone().unwrap_or_default(),
        negative_prompt: d.negative_prompt.clone().unwrap_or_default(),
        seed: d.seed.unwrap_or(d.id) as u64,
        width: app.settings.pixel_width,
        height: app.settings.pixel_height,
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    {
        let mut job = app.in_flight.job.lock().unwrap_or_else(|p| p.into_inner());
        app.in_flight.skipped.store(false, Ordering::SeqCst);
        *job = Some((d.id, cancel.clone()));
    }
    // One GPU for both models (LLM_UNLOAD_BEFORE_IMAGE): wait for the planner's turn to end, then
    // free the LLM's VRAM before painting.
    let turn = app.gpu_turn().await;
    if turn.is_some() {
        tokio::join!(app.planner.before_image(), app.image_checks.before_image());
    }
    let result = tokio::select! {
        r = app.backend.generate(&request) => r,
        _ = cancel.cancelled() => {
            if let Err(e) = app.backend.interrupt().await {
                warn!(donation = d.id, error = %e, "could not interrupt the image server");
            }
            Err(generation::GenerateError::Interrupted)
        }
    };
    drop(turn);
    *app.in_flight.job.lock().unwrap_or_else(|p| p.into_inner()) = None;
    let image = match result {
        Ok(img) => img,
        Err(generation::GenerateError::Interrupted) if app.in_flight.skipped.swap(false, Ordering::SeqCst) => {
            return Outcome::to(
                State::Skipped,
                Update { reason: Some("skipped by the streamer while painting".into()), ..Update::default() },
            );
        }
        Err(e) => return Outcome::fail(format!("generation failed: {e}")),
    };
    let encoded = tokio::task::spawn_blocking(move || encode_png(&image)).await;
    match encoded {
        Ok(Ok(png)) => Outcome::to(State::Generated, Update { image_png: Some(png), ..Update::default() }),
        Ok(Err(e)) => Outcome::fail(format!("generated image is unusable: {e}")),
        Err(e) => Outcome::fail(format!("internal error encoding the image: {e}")),
    }
}

fn encode_png(img: &generation::GeneratedImage) -> Result<Vec<u8>, String> {
    encode_rgb_png(&img.rgb, img.width, img.height)
}

/// Encodes 8-bit RGB as PNG, favouring speed over size (journal images, stage frames).
pub(crate) fn encode_rgb_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    let expected = width as usize * height as usize * 3;
    if rgb.len() != expected || width == 0 {
        return Err(format!("{width}×{height} image with {} bytes (expected {expected})", rgb.len()));
    }
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Sub,
    );
    enc.write_image(rgb, width, height, image::ExtendedColorType::Rgb8).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Runs every configured image check on a picture not yet checked or approved. `Err` is the
/// outcome for a flagged picture: `held` for a moderator, with the reason (`image check: …`).
async fn check_image(app: &App, d: &Donation, png: &[u8]) -> Result<Option<String>, Outcome> {
    if app.image_checks.is_empty() || d.image_check.is_some() {
        return Ok(None);
    }
    // With one GPU for everything (LLM_UNLOAD_BEFORE_IMAGE), a vision check takes its turn too.
    let turn = app.gpu_turn().await;
    let verdict = app.image_checks.check(png).await;
    drop(turn);
    app.health.write().unwrap_or_else(|p| p.into_inner()).image_check.record(&verdict);
    if verdict.flagged {
        warn!(donation = d.id, reason = %verdict.reason, "picture held for a moderator");
        return Err(Outcome::to(
            State::Held,
            Update {
                reason: Some(verdict.reason),
                category: verdict.category,
                image_check: Some("flagged".into()),
                ..Update::default()
            },
        ));
    }
    Ok(Some(format!("passed: {}", app.image_checks.names().join(","))))
}

/// Checks the picture, then pixelizes it and plans the strokes on a blocking thread.
async fn convert(app: &App, d: &Donation) -> Outcome {
    let id = d.id;
    let png = match app.journal.call(move |j| j.image(id)).await {
        Ok(Some(png)) => png,
        Ok(None) => return Outcome::fail("generated image missing from the journal"),
        Err(e) => return Outcome::fail(format!("journal read failed: {e}")),
    };
    let image_check = match check_image(app, d, &png).await {
        Ok(note) => note,
        Err(held) => return held,
    };
    let converter = app.converter.clone();
    let result = tokio::task::spawn_blocking(move || {
        let img = image::load_from_memory(&png).map_err(|e| format!("cannot decode the image: {e}"))?.to_rgb8();
        converter.convert(img.as_raw(), img.width(), img.height())
    })
    .await;
    match result {
        Ok(Ok(c)) => {
            info!(donation = id, quality = %c.quality, "pixelized");
            Outcome::to(State::Ready, Update { document: Some(c.document_json), image_check, ..Update::default() })
        }
        Ok(Err(e)) => Outcome::fail(format!("conversion failed: {e}")),
        Err(e) if e.is_panic() => Outcome::fail(format!("conversion panicked: {}", panic_message(e.into_panic()))),
        Err(e) => Outcome::fail(format!("conversion failed: {e}")),
    }
}
