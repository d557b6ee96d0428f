//! The control API (axum): the original's paths and fields, plus the journal, moderation and stage controls.
//!
//! Every route but `/health` (and the pages, which hold no data) needs `Authorization: Bearer <token>`.
//! Every error is JSON `{"error": "..."}`; bad input is rejected before it reaches the journal.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::http::{accepted, require_token, ApiError, ApiResult};
use crate::intake::{self, Incoming};
use crate::journal::{Donation, Source, State as RowState};
use crate::snapshot::{Phase, Showing};

/// Largest request body accepted; a donation is a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;
/// How much of an oversized body is read and thrown away before the connection is cut.
const DRAIN_LIMIT: usize = 32 * 1024 * 1024;

/// Builds the router with auth on every data route.
pub fn router(app: Arc<App>) -> Router {
    let protected = Router::new()
        .route("/queue", get(queue))
        .route("/queue/skip", post(skip))
        .route("/queue/clear", post(clear))
        .route("/queue/pause", post(pause))
        .route("/queue/resume", post(resume))
        .route("/commands/donate", post(donate))
        .route("/control/shutdown", post(shutdown))
        .route("/donations", get(donations))
        .route("/donations/{id}", get(donation))
        .route("/donations/{id}/image.png", get(donation_image))
        .route("/donations/{id}/approve", post(approve))
        .route("/donations/{id}/deny", post(deny))
        .route("/donations/{id}/replay", post(replay))
        .route("/donations/{id}/draw-now", post(draw_now))
        .route("/queue/rules", get(draw_rules_get).put(draw_rules_put))
        .route("/stage/hide", post(hide))
        .route("/stage/show", post(show))
        .route("/stage/frame.png", get(frame_png))
        .route("/metrics", get(metrics_route))
        .route("/moderation/rules", get(rules_get).put(rules_put))
        .route("/moderation/check", post(moderation_check))
        .route_layer(middleware::from_fn_with_state(app.clone(), require_token));
    Router::new()
        .route("/health", get(health))
        .merge(protected)
        .merge(crate::web::router(app.clone()))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed on this route")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

async fn health(State(app): State<Arc<App>>) -> Json<Value> {
    let h = app.health.read().unwrap_or_else(|p| p.into_inner()).clone();
    let storage = app.storage.problem();
    Json(json!({
        "status": if storage.is_some() { "degraded" } else { "ok" },
        "storage": { "ok": storage.is_none(), "problem": storage },
        "demo": app.settings.demo,
        "paused": app.control.is_paused(),
        "hidden": app.control.is_hidden(),
        "intake": h.intake,
        "sources": h.sources,
        "planner": app.planner.name(),
        "image_backend": app.backend.name(),
        "image_backend_problem": h.backend_problem,
        "moderation_rules": app.rules.status(),
        "draw_rules": app.draw_rules().to_string(),
        "image_check": {
            "checks": app.settings.image_check.describe(),
            "checked": h.image_check.checked,
            "flagged": h.image_check.flagged,
            "last_ms": h.image_check.last_ms,
            "failing": h.image_check.failing,
        },
    }))
}

/// The original's task object, with the journal state added.
fn task_json(d: &Donation, content_type: &str) -> Value {
    json!({
        "id": d.id.to_string(),
        "journal_id": d.id,
        "donor": d.donor,
        "message": d.message,
        "amount": d.amount,
        "currency": d.currency,
        "timestamp": d.received_at,
        "nsfw": d.state == RowState::Refused && d.category.is_some(),
        "content_type": content_type,
        "state": d.state,
    })
}

fn content_type(d: &Donation) -> &'static str {
    if d.card_pending || matches!(d.state, RowState::Refused | RowState::Failed) {
        "text"
    } else {
        "plan"
    }
}

async fn queue(State(app): State<Arc<App>>) -> Json<Value> {
    let snap = app.snapshot.read().unwrap_or_else(|p| p.into_inner()).clone();
    let (active, progress, hold, phase) = match &snap.active {
        Some(a) => {
            let ct = if matches!(a.showing, Showing::Card { .. }) { "text" } else { "plan" };
            let hold = if a.phase == Phase::Holding { a.hold_remaining.as_secs_f64() } else { 0.0 };
            let phase = match (&a.showing, a.phase) {
                (Showing::Card { .. }, _) => "card",
                (_, Phase::Drawing) => "drawing",
                (_, Phase::Holding) => "holding",
            };
            (task_json(&a.donation, ct), a.progress(), hold, Value::from(phase))
        }
        None => (Value::Null, 0.0, 0.0, Value::Null),
    };
    let preview: Vec<Value> = snap.upcoming.iter().take(5).map(|d| task_json(d, content_type(d))).collect();
    let window_fps = f32::from_bits(app.window_fps.load(Ordering::Relaxed));
    let generation = snap.painting.map(|(id, progress)| json!({ "donation": id, "progress": progress }));
    Json(json!({
        "active": active,
        "phase": phase,
        "progress": progress,
        "hold_remaining_sec": hold,
        "queue_size": snap.upcoming.len(),
        "preview": preview,
        "fps": if window_fps > 0.0 { window_fps } else { snap.fps },
        "window_fps": window_fps,
        "paused": app.control.is_paused(),
        "hidden": app.control.is_hidden(),
        "donations": snap.upcoming,
        "generation": generation,
    }))
}

/// Skips what is on screen; with nothing on screen, skips the donation being painted (the image
/// server is interrupted), so "skip" always acts on what the streamer sees as current.
async fn skip(State(app): State<Arc<App>>) -> ApiResult {
    let on_screen = app.snapshot.read().unwrap_or_else(|p| p.into_inner()).active.is_some();
    if !on_screen {
        if let Some(id) = app.interrupt_generation(true) {
            return accepted(json!({ "status": "skip_requested", "painting": id }));
        }
    }
    app.control.skip.store(true, Ordering::SeqCst);
    app.wake.screen.notify_one();
    tracing::info!("skip requested");
    accepted(json!({ "status": "skip_requested" }))
}

async fn clear(State(app): State<Arc<App>>) -> ApiResult {
    let n = app.journal.call(|j| j.clear()).await?;
    app.interrupt_generation(false);
    app.wake_all();
    tracing::info!(cleared = n, "queue cleared");
    accepted(json!({ "status": "queue_cleared", "cleared": n }))
}

/// Pauses (or resumes) the show, remembered in the journal so that it outlives a restart.
async fn set_paused(app: &Arc<App>, paused: bool) -> Result<(), ApiError> {
    let value = if paused { "1" } else { "0" };
    app.journal.call(move |j| j.meta_set(crate::journal::META_PAUSED, value)).await?;
    app.control.paused.store(paused, Ordering::SeqCst);
    Ok(())
}

async fn pause(State(app): State<Arc<App>>) -> ApiResult {
    set_paused(&app, true).await?;
    tracing::info!("paused: no new drawing starts");
    accepted(json!({ "status": "paused" }))
}

async fn resume(State(app): State<Arc<App>>) -> ApiResult {
    set_paused(&app, false).await?;
    app.wake.screen.notify_one();
    tracing::info!("resumed");
    accepted(json!({ "status": "resumed" }))
}

async fn hide(State(app): State<Arc<App>>) -> ApiResult {
    app.control.hidden.store(true, Ordering::SeqCst);
    tracing::warn!("stage hidden (emergency)");
    accepted(json!({ "status": "hidden" }))
}

async fn show(State(app): State<Arc<App>>) -> ApiResult {
    app.control.hidden.store(false, Ordering::SeqCst);
    app.wake.screen.notify_one();
    tracing::info!("stage shown");
    accepted(json!({ "status": "shown" }))
}

async fn shutdown(State(app): State<Arc<App>>) -> ApiResult {
    tracing::info!("shutdown requested over the API");
    app.shutdown.cancel();
    accepted(json!({ "status": "shutdown_requested" }))
}

/// `/commands/donate` body: the original's fields (`mode` accepted and ignored).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DonateBody {
    amount: Value,
    message: String,
    donor: Option<String>,
    currency: Option<String>,
    #[allow(dead_code)]
    mode: Option<String>,
    /// Optional idempotency key: the same key twice journals one donation.
    id: Option<String>,
}

impl JsonBody for DonateBody {
    const WHAT: &'static str = "invalid donation";
}

impl JsonBody for DrawRulesBody {
    const WHAT: &'static str = "invalid drawing rules";
}

impl JsonBody for RulesBody {
    const WHAT: &'static str = "invalid rules";
}

impl JsonBody for CheckBody {
    const WHAT: &'static str = "invalid check";
}

/// Reads a request body of at most [`MAX_BODY`] bytes. An oversized body is still read (and
/// discarded) up to [`DRAIN_LIMIT`], so that the client receives the 413 instead of a broken pipe.
async fn read_body(body: axum::body::Body) -> Result<Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("cannot read the body: {e}")))?;
        total += chunk.len();
        if total <= MAX_BODY {
            buf.extend_from_slice(&chunk);
        } else if total > DRAIN_LIMIT {
            break;
        }
    }
    if total > MAX_BODY {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("request body larger than {MAX_BODY} bytes")));
    }
    Ok(Bytes::from(buf))
}

/// A JSON request body of one kind; `WHAT` prefixes the 422 that says why it does not fit.
trait JsonBody: serde::de::DeserializeOwned {
    const WHAT: &'static str;
}

/// Axum's JSON extractor with this API's answers: 415 without the JSON content type, 413 when too
/// large (after draining, see [`read_body`]), 400 for bad UTF-8, 422 (prefixed with `T::WHAT`) for
/// JSON that is broken or does not fit `T`.
struct ApiJson<T>(T);

impl<T: JsonBody, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        // The body is read (drained) first, so that a client still sending it gets the answer.
        let json = is_json(req.headers());
        let body = read_body(req.into_body()).await?;
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send JSON with `Content-Type: application/json`",
            ));
        }
        if let Err(e) = std::str::from_utf8(&body) {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, format!("body is not valid UTF-8: {e}")));
        }
        match Json::<T>::from_bytes(&body) {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(json_problem::<T>(e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(json_problem::<T>(e.body_text())),
            Err(other) => Err(ApiError::new(other.status(), other.body_text())),
        }
    }
}

fn json_problem<T: JsonBody>(axum_text: String) -> ApiError {
    // Axum says "Failed to deserialize the JSON body into the target type: <serde's reason>".
    let reason = axum_text.split_once(": ").map(|(_, r)| r.to_owned()).unwrap_or(axum_text);
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{}: {reason}", T::WHAT))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"))
}

async fn donate(State(app): State<Arc<App>>, ApiJson(b): ApiJson<DonateBody>) -> ApiResult {
    let amount = match &b.amount {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("amount: expected a number, found {other}"),
            ))
        }
    };
    let source_id = match b.id {
        Some(k) if !k.trim().is_empty() => format!("key:{}", k.trim()),
        _ => format!("{:032x}", rand::random::<u128>()),
    };
    let incoming = Incoming {
        source: Source::MANUAL,
        source_id,
        donor: b.donor,
        message: b.message,
        amount,
        currency: b.currency.unwrap_or_else(|| app.settings.display_currency.clone()),
        amount_user: None,
        message_type: "text".into(),
    };
    match intake::admit(&app, incoming, false).await {
        Ok(Ok(ins)) => accepted(json!({ "status": "queued", "id": ins.id, "duplicate": !ins.new })),
        Ok(Err(invalid)) => {
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("invalid donation: {invalid}")))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not journal a donation");
            let why = app.storage.problem().unwrap_or_else(|| format!("the journal is unavailable ({e})"));
            let body = json!({ "error": format!("the donation was not accepted, try again later: {why}") });
            let retry = crate::storage::RETRY_AFTER_SECS.to_string();
            Ok((StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, retry)], Json(body)).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<String>,
    limit: Option<usize>,
}

async fn donations(
    State(app): State<Arc<App>>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let state = match q.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(RowState::parse(s).ok_or_else(|| {
            let all: Vec<&str> = RowState::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::new(StatusCode::BAD_REQUEST, format!("state: {s:?} is not one of {}", all.join(", ")))
        })?),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 10_000);
    let rows = app.journal.call(move |j| j.list(state, limit)).await?;
    Ok(Json(rows).into_response())
}

fn parse_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>().map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, format!("id: {id:?} is not a donation id")))
}

async fn donation(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id)?;
    match app.journal.call(move |j| j.get(id)).await? {
        Some(d) => Ok(Json(d).into_response()),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, format!("no donation {id}"))),
    }
}

/// The generated picture of a donation (the moderator's view of a picture the image check held; the
/// panel shows it blurred until clicked).
async fn donation_image(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id)?;
    match app.journal.call(move |j| j.image(id)).await {
        Ok(Some(png)) => {
            Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png).into_response())
        }
        Ok(None) | Err(rusqlite::Error::QueryReturnedNoRows) => {
            Err(ApiError::new(StatusCode::NOT_FOUND, format!("donation {id} has no generated picture")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Shared shape of approve/deny/replay: act, or explain why the row is not in the right state.
async fn act(
    app: &Arc<App>,
    id: &str,
    verb: &'static str,
    expected: &'static str,
    f: impl FnOnce(&crate::journal::Journal, i64) -> rusqlite::Result<bool> + Send + 'static,
) -> ApiResult {
    let id = parse_id(id)?;
    let done = app.journal.call(move |j| f(j, id)).await?;
    if done {
        tracing::info!(donation = id, action = verb, "moderator action");
        app.wake_all();
        return accepted(json!({ "status": verb, "id": id }));
    }
    match app.journal.call(move |j| j.get(id)).await? {
        None => Err(ApiError::new(StatusCode::NOT_FOUND, format!("no donation {id}"))),
        Some(d) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("donation {id} is {}; only {expected} donations can be {verb}", d.state.as_str()),
        )),
    }
}

async fn approve(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    act(&app, &id, "approved", "held", |j, id| j.approve(id)).await
}

async fn deny(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    // The card speaks the donor's language, like every other refusal card.
    let a = app.clone();
    act(&app, &id, "denied", "held", move |j, id| match j.get(id)? {
        Some(d) => j.deny(id, &crate::cards::text(&a.settings, crate::cards::Card::Blocked, &d.raw_message)),
        None => Ok(false),
    })
    .await
}

async fn replay(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    act(&app, &id, "replayed", "shown or skipped", |j, id| j.replay(id)).await
}

/// Moves a waiting (or ignored) donation to the front of the queue.
async fn draw_now(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    act(&app, &id, "moved to the front", "waiting or ignored", |j, id| j.draw_now(id)).await
}

/// The drawing rules as the panel edits them: the configuration's key names in lower case, amounts
/// as decimal strings, `""` for unset.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DrawRulesBody {
    #[serde(default)]
    draw_min_amount: Option<Value>,
    #[serde(default)]
    priority_min_amount: Option<Value>,
    #[serde(default)]
    draw_trigger: Option<String>,
    #[serde(default)]
    draw_fairness: Option<String>,
}

fn draw_rules_json(app: &App) -> Value {
    let r = app.draw_rules();
    let file = app.settings.data_dir.join(crate::config::DRAW_RULES_FILE);
    json!({
        "draw_min_amount": r.min_amount.normalize().to_string(),
        "priority_min_amount": r.priority_min.map(|p| p.normalize().to_string()),
        "draw_trigger": r.trigger,
        "draw_fairness": r.fairness.as_str(),
        "currency": app.settings.display_currency,
        "saved_file": file.exists().then(|| file.display().to_string()),
    })
}

async fn draw_rules_get(State(app): State<Arc<App>>) -> ApiResult {
    Ok(Json(draw_rules_json(&app)).into_response())
}

/// Replaces the drawing rules: checked first (400 names the key; nothing changes), then saved in
/// the data dir and applied to the next donation. Donations already waiting keep their place.
async fn draw_rules_put(State(app): State<Arc<App>>, ApiJson(b): ApiJson<DrawRulesBody>) -> ApiResult {
    let text = |v: &Option<Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let (min, priority) = (text(&b.draw_min_amount), text(&b.priority_min_amount));
    let pairs = [
        ("DRAW_MIN_AMOUNT", min.as_str()),
        ("PRIORITY_MIN_AMOUNT", priority.as_str()),
        ("DRAW_TRIGGER", b.draw_trigger.as_deref().unwrap_or("")),
        ("DRAW_FAIRNESS", b.draw_fairness.as_deref().unwrap_or("round-robin")),
    ];
    let rules = crate::config::parse_draw_rules(pairs).map_err(|e| {
        let problems: Vec<String> = e.0.iter().map(|p| format!("{}: {}", p.key, p.message)).collect();
        ApiError::new(StatusCode::BAD_REQUEST, format!("rules not saved: {}", problems.join("; ")))
    })?;
    let dir = app.settings.data_dir.clone();
    let saving = rules.clone();
    let saved = tokio::task::spawn_blocking(move || crate::config::save_draw_rules(&dir, &saving))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("rules not saved: {e}")))?;
    tracing::info!(rules = %rules, file = %saved.display(), "drawing rules replaced from the panel");
    *app.draw_rules.write().unwrap_or_else(|p| p.into_inner()) = rules;
    Ok(Json(draw_rules_json(&app)).into_response())
}

/// `{"text": ...}`: a rules file's text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesBody {
    text: String,
}

/// `{"text": ...}`: a request to check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    text: String,
}

/// The rules in force and the file's text.
async fn rules_get(State(app): State<Arc<App>>) -> ApiResult {
    let a = app.clone();
    let text = tokio::task::spawn_blocking(move || a.rules.text())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let mut body = serde_json::to_value(app.rules.status()).unwrap_or_default();
    body["text"] = Value::String(text);
    Ok(Json(body).into_response())
}

/// Replaces the rules: checked first (400 names the line), then written and in force at once.
async fn rules_put(State(app): State<Arc<App>>, ApiJson(b): ApiJson<RulesBody>) -> ApiResult {
    let a = app.clone();
    let replaced = tokio::task::spawn_blocking(move || a.rules.replace(&b.text))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    match replaced {
        Ok(_) => rules_get(State(app)).await,
        Err(crate::rules::ReplaceError::Invalid(e)) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, format!("rules not saved: {e}")))
        }
        Err(crate::rules::ReplaceError::Io(e)) => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e)),
    }
}

/// What the word layer (with the rules in force) says about a text, as `draw-stream moderate` prints it.
async fn moderation_check(State(app): State<Arc<App>>, ApiJson(b): ApiJson<CheckBody>) -> ApiResult {
    let v = app.rules.moderator().check(&b.text);
    Ok(Json(crate::rules::verdict_json(&b.text, &v)).into_response())
}

async fn metrics_route(State(app): State<Arc<App>>) -> ApiResult {
    let counts = app.journal.call(|j| j.counts()).await?;
    for state in RowState::ALL {
        let n = counts.iter().find(|(s, _)| *s == state).map(|(_, n)| *n).unwrap_or(0);
        metrics::gauge!("drawstream_donations", "state" => state.as_str()).set(n as f64);
    }
    let depth = app.snapshot.read().unwrap_or_else(|p| p.into_inner()).upcoming.len();
    metrics::gauge!("drawstream_queue_depth").set(depth as f64);
    let body = app.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response())
}

/// The broadcast frame at this instant, as the window would show it (works headless too).
async fn frame_png(State(app): State<Arc<App>>) -> ApiResult {
    let png = tokio::task::spawn_blocking(move || {
        let s = &app.settings;
        let (w, h) = (s.display_width, s.display_height);
        let snap = app.snapshot.read().unwrap_or_else(|p| p.into_inner()).clone();
        let status = app.health.read().ok().and_then(|h| h.intake.clone());
        let mut renderer = crate::stage::FrameRenderer::new(w, h, s.demo, s.show_fps, s.queue_max_size);
        let mut pixels = vec![0u32; w as usize * h as usize];
        renderer.draw(&mut pixels, &snap, app.control.is_paused(), app.control.is_hidden(), status, snap.fps);
        let rgb: Vec<u8> = pixels.iter().flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8]).collect();
        crate::pipeline::encode_rgb_png(&rgb, w, h)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("frame rendering failed: {e}")))?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("frame encoding failed: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png).into_response())
}
