//! The web face: the OBS browser-source overlay, the moderator panel and the gallery, served by the
//! control API's server on the same port, every asset embedded in the binary.
//!
//! * [`stream`] — `/overlay/stream?key=K`: a WebSocket that carries the stage as the show loop sees it
//!   (the 96×96 canvas in full on connect, then per-tick pixel changes, the HUD's data, `hidden`).
//!   The animation stays in Rust; the page only paints what it is sent.
//! * [`gallery`] — `/gallery/items`: every shown drawing, its PNG/GIF, delete (admin token).
//! * this file — the pages (`/overlay`, `/panel`, `/gallery`), their assets, the overlay key check,
//!   and the panel's helpers (`/overlay/url`, `/stage/canvas.png`).
//!
//! Two secrets, never interchangeable: the **overlay key** (read-only, pasted into OBS, in the URL)
//! and the **admin token** (panel and gallery, sent as `Authorization: Bearer`, never in a URL or a
//! cookie, so there is no CSRF). The panel and gallery pages themselves hold no data.

pub mod gallery;
pub mod stream;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::json;

use crate::app::App;
use crate::http::{same_secret, ApiError};
use crate::snapshot::Showing;

/// Routes of the pages and their data feeds, merged into the control API's router.
pub fn router(app: Arc<App>) -> Router<Arc<App>> {
    let hub = Arc::new(stream::Hub::new());
    let protected = Router::new()
        .route("/gallery/items", get(gallery::list))
        .route("/gallery/items/{item}", get(gallery::file).delete(gallery::delete))
        .route("/overlay/url", get(overlay_url))
        .route("/stage/canvas.png", get(canvas_png))
        .route_layer(middleware::from_fn_with_state(app.clone(), crate::http::require_token));
    let public = Router::new()
        .route("/", get(|| async { Redirect::to("/panel") }))
        .route("/overlay", get(overlay_page))
        .route("/overlay/stream", get(stream::handler))
        .route("/panel", get(|| async { page(PANEL_HTML, Frame::Deny) }))
        .route("/gallery", get(|| async { page(GALLERY_HTML, Frame::Deny) }))
        .route("/assets/{name}", get(asset));
    Router::new().merge(protected).merge(public).layer(Extension(hub))
}

const OVERLAY_HTML: &str = include_str!("../../assets/overlay.html");
const PANEL_HTML: &str = include_str!("../../assets/panel.html");
const GALLERY_HTML: &str = include_str!("../../assets/gallery.html");

/// Static assets by name: (content type, bytes). They hold no data, so they need no secret.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("common.css", "text/css; charset=utf-8", include_bytes!("../../assets/common.css")),
    ("overlay.css", "text/css; charset=utf-8", include_bytes!("../../assets/overlay.css")),
    ("overlay.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/overlay.js")),
    ("panel.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/panel.js")),
    ("gallery.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/gallery.js")),
    ("client.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/client.js")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../assets/favicon.svg")),
];

/// Whether a page may be framed: the panel and gallery never (clickjacking of their buttons); the
/// overlay may (OBS docks, a checkerboard preview).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Allow,
    Deny,
}

/// Content-Security-Policy of every page: nothing but this origin, no inline script.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
                   connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'";

fn page(html: &'static str, frame: Frame) -> Response {
    let csp = match frame {
        // OBS applies a browser source's "Custom CSS" as an inline <style>: let it.
        Frame::Allow => CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
        Frame::Deny => format!("{CSP}; frame-ancestors 'none'"),
    };
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("ascii CSP"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if frame == Frame::Deny {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    r
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, ctype, bytes)) => (
            [
                (header::CONTENT_TYPE, *ctype),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *bytes,
        )
            .into_response(),
        None => ApiError(StatusCode::NOT_FOUND, format!("no asset {name:?}")).into_response(),
    }
}

/// Checks the overlay key from `?key=`: 401 without one, 403 for a wrong one. The admin token is
/// refused even if someone configured the same string for both.
pub(crate) fn check_overlay_key(app: &App, query: &HashMap<String, String>) -> Result<(), ApiError> {
    match query.get("key").map(|k| k.trim()) {
        None | Some("") => Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "missing overlay key: open /overlay?key=<overlay key> (see <data dir>/overlay-key)".into(),
        )),
        Some(k) if same_secret(k, &app.overlay_key) && !same_secret(k, &app.api_token) => Ok(()),
        Some(_) => Err(ApiError(StatusCode::FORBIDDEN, "wrong overlay key".into())),
    }
}

async fn overlay_page(State(app): State<Arc<App>>, Query(q): Query<HashMap<String, String>>) -> Response {
    match check_overlay_key(&app, &q) {
        Ok(()) => page(OVERLAY_HTML, Frame::Allow),
        Err(e) => e.into_response(),
    }
}

/// The overlay's URL for the panel's "add it to OBS" box (admin token; the key is a secret too), and
/// how many overlays are connected now.
async fn overlay_url(
    State(app): State<Arc<App>>,
    Extension(hub): Extension<Arc<stream::Hub>>,
    headers: HeaderMap,
) -> Json<serde_json::Value> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned);
    let host = host.unwrap_or_else(|| format!("{}:{}", app.settings.api_host, app.settings.api_port));
    let path = format!("/overlay?key={}", app.overlay_key);
    Json(json!({ "path": path, "url": format!("http://{host}{path}"), "width": 1920, "height": 1080,
        "viewers": hub.viewers() }))
}

/// The drawing on screen at this instant as a ×4 PNG, for the panel's preview (admin token).
/// 204 when no drawing is on screen (idle, a card, or hidden).
async fn canvas_png(State(app): State<Arc<App>>) -> Response {
    let active = app.snapshot.read().unwrap_or_else(|p| p.into_inner()).active.clone();
    let Some(a) = active else { return StatusCode::NO_CONTENT.into_response() };
    let Showing::Drawing { timeline } = &a.showing else { return StatusCode::NO_CONTENT.into_response() };
    let mut img = canvas::Image::empty();
    timeline.render_at(a.t_ms_now(), &mut img);
    let png = canvas::encode_png(&img, 4);
    ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png).into_response()
}
