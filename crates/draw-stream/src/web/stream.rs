//! `/overlay/stream?key=K`: the stage over a WebSocket, for the overlay page to paint.
//!
//! One [`Hub`] per service renders the stage at [`STREAM_FPS`] from the show loop's snapshot — the same
//! snapshot and clock the window renders — but only while at least one overlay is connected. Each
//! tick becomes one shared [`Tick`]: the 96×96 canvas, the HUD's data, `hidden`, and the message
//! that turns the previous tick into this one. Connections wait on a `watch` channel, so twenty
//! overlays cost one render per tick, and a slow one skips ticks instead of queueing them (its next
//! message is then computed against what it last sent, so it never shows a wrong pixel).
//!
//! Messages (JSON text frames, server → page only):
//!
//! * `{"type":"full","seq":N,"hidden":false,"progress":0.4,"hud":{…}|null,"canvas":{"w":96,"h":96,"rgba":"<base64>"}|null}`
//!   — on connect, when a new drawing or card starts, on hide/show, and when a tick changes more
//!   than a third of the canvas (smaller than that many pixel changes). Hidden: `hud` and `canvas`
//!   are null and the page shows nothing.
//! * `{"type":"delta","seq":N,"px":[i,0xRRGGBBAA,…]?,"progress":0.41?,"hud":{…}?}` — only what
//!   changed since the previous tick: pixels by index (`y*w+x`), the progress, the HUD when it changed.
//! * `{"type":"beat","seq":N}` — after [`BEAT`] without a message, so the page can tell a live but
//!   quiet stream from a dead connection (it reconnects after a few missed beats).
//!
//! HUD data: `{"demo","paused","caption","status_line","now":{"id","donor","amount","currency","money",
//! "message","kind":"drawing"|"refused"|"failed","card","hold_remaining_sec"}|null,
//! "queue":[{"donor","money","message","status":"ready"|"painting"|"checking"|"held"}]}` — texts are
//! the masked forms the window shows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::app::App;
use crate::http::ApiError;
use crate::snapshot::Showing;

/// Ticks per second sent to overlays (the window may run faster; 30 is smooth for pixel strokes).
pub const STREAM_FPS: u64 = 30;
/// Silence after which a connection sends a `beat`.
pub const BEAT: Duration = Duration::from_secs(3);
/// A send that takes longer than this ends the connection (a client that stopped reading).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// A change of more pixels than 1/`FULL_RATIO` of the canvas goes as a full state (smaller than the diff).
const FULL_RATIO: usize = 3;

/// The stage at one tick, shared by every connection.
pub struct Tick {
    pub seq: u64,
    pub hidden: bool,
    /// Identity of what the canvas shows (one per drawing start), so a new drawing goes in full.
    key: usize,
    canvas: Option<Arc<canvas::Image>>,
    /// The HUD's data as JSON text (`null` while hidden).
    hud: Arc<str>,
    progress: f32,
    /// The message from the previous tick (`seq - 1`) to this one; `None` when nothing changed.
    delta: Option<Utf8Bytes>,
    full: OnceLock<Utf8Bytes>,
}

impl Tick {
    fn empty() -> Tick {
        Tick {
            seq: 0,
            hidden: false,
            key: 0,
            canvas: None,
            hud: Arc::from("null"),
            progress: 0.0,
            delta: None,
            full: OnceLock::new(),
        }
    }

    /// The full-state message of this tick (built once, on first need).
    pub fn full_message(&self) -> Utf8Bytes {
        self.full
            .get_or_init(|| {
                let canvas =
                    self.canvas.as_ref().map(|c| json!({ "w": c.width, "h": c.height, "rgba": base64(&c.data) }));
                let hud: Value = serde_json::from_str(&self.hud).unwrap_or(Value::Null);
                let v = json!({
                    "type": "full",
                    "seq": self.seq,
                    "hidden": self.hidden,
                    "progress": self.progress,
                    "hud": hud,
                    "canvas": canvas,
                });
                Utf8Bytes::from(v.to_string())
            })
            .clone()
    }
}

/// The message that brings a page showing `prev` to `cur`, or `None` when nothing visible changed.
fn message_between(prev: &Tick, cur: &Tick) -> Option<Utf8Bytes> {
    let same_canvas = match (&prev.canvas, &cur.canvas) {
        (None, None) => true,
        (Some(a), Some(b)) => a.width == b.width && a.height == b.height,
        _ => false,
    };
    if prev.hidden != cur.hidden || prev.key != cur.key || !same_canvas {
        return Some(cur.full_message());
    }
    let mut px: Vec<u32> = Vec::new();
    if let (Some(a), Some(b)) = (&prev.canvas, &cur.canvas) {
        if !Arc::ptr_eq(a, b) {
            for (i, (x, y)) in a.data.chunks_exact(4).zip(b.data.chunks_exact(4)).enumerate() {
                if x != y {
                    px.push(i as u32);
                    px.push(u32::from_be_bytes([y[0], y[1], y[2], y[3]]));
                }
            }
            if px.len() / 2 > (b.width * b.height) as usize / FULL_RATIO {
                return Some(cur.full_message());
            }
        }
    }
    let hud_changed = prev.hud != cur.hud;
    let progress_changed = (prev.progress - cur.progress).abs() > 1e-4;
    if px.is_empty() && !hud_changed && !progress_changed {
        return None;
    }
    let mut v = json!({ "type": "delta", "seq": cur.seq });
    if !px.is_empty() {
        v["px"] = json!(px);
    }
    if progress_changed {
        v["progress"] = json!(cur.progress);
    }
    if hud_changed {
        v["hud"] = serde_json::from_str(&cur.hud).unwrap_or(Value::Null);
    }
    Some(Utf8Bytes::from(v.to_string()))
}

/// Renders the stage for overlays while any is connected.
pub struct Hub {
    tx: watch::Sender<Arc<Tick>>,
    /// Whether the ticker task runs; taken with the receiver count so a viewer never joins a
    /// ticker that is about to stop.
    running: Mutex<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        Hub { tx: watch::Sender::new(Arc::new(Tick::empty())), running: Mutex::new(false) }
    }

    /// Overlays connected now.
    pub fn viewers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// A receiver of ticks whose current value is the stage now; starts the ticker if needed.
    pub fn subscribe(self: &Arc<Self>, app: &Arc<App>) -> watch::Receiver<Arc<Tick>> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let rx = self.tx.subscribe();
        if !*running {
            *running = true;
            let prev = self.tx.borrow().clone();
            self.tx.send_replace(Arc::new(build_tick(app, &prev)));
            tokio::spawn(run_ticker(self.clone(), app.clone()));
        }
        rx
    }
}

async fn run_ticker(hub: Arc<Hub>, app: Arc<App>) {
    let mut every = tokio::time::interval(Duration::from_millis(1000 / STREAM_FPS));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = app.shutdown.cancelled() => break,
        }
        {
            let mut running = hub.running.lock().unwrap_or_else(|p| p.into_inner());
            if hub.tx.receiver_count() == 0 {
                *running = false;
                return;
            }
        }
        let prev = hub.tx.borrow().clone();
        let cur = build_tick(&app, &prev);
        hub.tx.send_replace(Arc::new(cur));
    }
    *hub.running.lock().unwrap_or_else(|p| p.into_inner()) = false;
}

/// The stage now, as the window would draw it at this instant.
fn build_tick(app: &App, prev: &Tick) -> Tick {
    let seq = prev.seq + 1;
    let hidden = app.control.is_hidden();
    let mut tick = Tick::empty();
    tick.seq = seq;
    tick.hidden = hidden;
    if !hidden {
        let snap = app.snapshot.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(a) = &snap.active {
            let t = a.t_ms_now();
            tick.progress = if a.duration_ms == 0 { 1.0 } else { (t as f64 / a.duration_ms as f64).min(1.0) as f32 };
            match &a.showing {
                Showing::Drawing { timeline } => {
                    tick.key = Arc::as_ptr(timeline) as usize;
                    let mut img = canvas::Image::empty();
                    timeline.render_at(t, &mut img);
                    tick.canvas = match &prev.canvas {
                        Some(p) if prev.key == tick.key && p.data == img.data => Some(p.clone()),
                        _ => Some(Arc::new(img)),
                    };
                }
                Showing::Card { .. } => tick.key = a.donation.id as usize ^ usize::MAX,
            }
        }
        let s = &app.settings;
        let status = app.health.read().ok().and_then(|h| h.intake.clone());
        let state =
            crate::stage::hud_state(&snap, s.demo, app.control.is_paused(), false, status, None, s.queue_max_size);
        let hud = hud_json(&state, snap.active.as_ref().map(|a| a.donation.id));
        tick.hud = if *prev.hud == *hud { prev.hud.clone() } else { Arc::from(hud) };
    }
    tick.delta = message_between(prev, &tick);
    tick
}

/// The HUD's data for the page (progress travels separately, as it changes every tick).
fn hud_json(st: &hud::HudState, active_id: Option<i64>) -> String {
    let mut v = serde_json::to_value(st).unwrap_or(Value::Null);
    if let Some(now) = v.get_mut("now").filter(|n| n.is_object()) {
        now["id"] = json!(active_id);
    }
    v.to_string()
}

/// Standard base64 with padding (the canvas in full-state messages).
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `GET /overlay/stream?key=K` (WebSocket upgrade): the overlay key first, then the upgrade.
pub async fn handler(
    State(app): State<Arc<App>>,
    Extension(hub): Extension<Arc<Hub>>,
    Query(q): Query<HashMap<String, String>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(e) = super::check_overlay_key(&app, &q) {
        return e.into_response();
    }
    match ws {
        Ok(ws) => ws.on_upgrade(move |socket| serve(socket, app, hub)),
        Err(_) => ApiError(StatusCode::UPGRADE_REQUIRED, "connect with a WebSocket".into()).into_response(),
    }
}

async fn serve(socket: WebSocket, app: Arc<App>, hub: Arc<Hub>) {
    let (mut out, mut incoming) = socket.split();
    let mut ticks = hub.subscribe(&app);
    let mut last = ticks.borrow_and_update().clone();
    if !send(&mut out, last.full_message()).await {
        return;
    }
    let mut quiet = tokio::time::interval_at(tokio::time::Instant::now() + BEAT, BEAT);
    loop {
        tokio::select! {
            changed = ticks.changed() => {
                if changed.is_err() {
                    break;
                }
                let cur = ticks.borrow_and_update().clone();
                let msg = if cur.seq == last.seq + 1 { cur.delta.clone() } else { message_between(&last, &cur) };
                last = cur;
                if let Some(m) = msg {
                    if !send(&mut out, m).await {
                        break;
                    }
                    quiet.reset();
                }
            }
            m = incoming.next() => match m {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            },
            _ = quiet.tick() => {
                let beat = json!({ "type": "beat", "seq": last.seq }).to_string();
                if !send(&mut out, Utf8Bytes::from(beat)).await {
                    break;
                }
            }
            _ = app.shutdown.cancelled() => {
                let _ = out.send(Message::Close(None)).await;
                break;
            }
        }
    }
}

/// Sends one message; false when the page is gone or stopped reading.
async fn send(out: &mut futures_util::stream::SplitSink<WebSocket, Message>, m: Utf8Bytes) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, out.send(Message::Text(m))).await, Ok(Ok(())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4×1 canvas whose first pixel is `px` and the rest black.
    fn tick(seq: u64, px: &[u8], hud: &str) -> Tick {
        let mut data = px.to_vec();
        data.resize(16, 0);
        let mut t = Tick::empty();
        t.seq = seq;
        t.key = 7;
        t.canvas = Some(Arc::new(canvas::Image { width: 4, height: 1, data }));
        t.hud = Arc::from(hud);
        t
    }

    #[test]
    fn a_delta_carries_only_changed_pixels_and_a_changed_hud() {
        let a = tick(1, &[1, 2, 3, 255], "{\"x\":1}");
        let b = tick(2, &[9, 9, 9, 255], "{\"x\":1}");
        let m: Value = serde_json::from_str(&message_between(&a, &b).unwrap()).unwrap();
        assert_eq!(m["type"], "delta");
        assert_eq!(m["px"], json!([0, 0x090909ffu32]));
        assert!(m.get("hud").is_none());
        assert!(message_between(&b, &tick(3, &[9, 9, 9, 255], "{\"x\":1}")).is_none());
        let c = tick(3, &[9, 9, 9, 255], "{\"x\":2}");
        let m: Value = serde_json::from_str(&message_between(&b, &c).unwrap()).unwrap();
        assert_eq!(m["hud"]["x"], 2);
        assert!(m.get("px").is_none());
    }

    #[test]
    fn a_change_of_most_pixels_goes_as_a_full_state() {
        let a = tick(1, &[1, 2, 3, 255, 1, 2, 3, 255, 1, 2, 3, 255], "{}");
        let b = tick(2, &[9, 9, 9, 255, 9, 9, 9, 255, 9, 9, 9, 255], "{}");
        let m: Value = serde_json::from_str(&message_between(&a, &b).unwrap()).unwrap();
        assert_eq!(m["type"], "full");
        assert_eq!(m["canvas"]["rgba"].as_str().unwrap().len(), 16 / 3 * 4 + 4);
    }

    #[test]
    fn hiding_sends_a_blank_full_state() {
        let a = tick(1, &[1, 2, 3, 255], "{}");
        let mut h = Tick::empty();
        h.seq = 2;
        h.hidden = true;
        let m: Value = serde_json::from_str(&message_between(&a, &h).unwrap()).unwrap();
        assert_eq!((m["type"].as_str(), m["hidden"].as_bool()), (Some("full"), Some(true)));
        assert!(m["canvas"].is_null() && m["hud"].is_null());
    }
}
