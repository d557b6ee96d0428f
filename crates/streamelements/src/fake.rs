//! A fake StreamElements on 127.0.0.1 (feature `fake`): the Astro WebSocket and the REST calls
//! this source uses, answering with the shapes of the documented payloads in `tests/fixtures/`
//! (copied from shared/fixtures/streamelements).
//!
//! * Astro at `/`: `welcome`; `subscribe` → `response` with the request's nonce (`err_unauthorized`
//!   for a wrong or invalidated token, a wrong `token_type` or room; `err_bad_request` for an
//!   unknown topic); WebSocket pings every [`FakeSe::set_ping_interval`] (30 s, as the real one);
//!   `{"type":"reconnect"}` with a reconnect token that restores the subscriptions on
//!   `/?reconnect_token=…` (an unknown token: closed at once, before `welcome`).
//! * REST under `/kappa/v2`: `GET /channels/me`, `GET /tips/{channel}` with `offset`, `limit`
//!   (1..=100), `sort`, `after`/`before` (ms or an ISO date), `Authorization: Bearer` checked, 400 on
//!   bad parameters.
//!
//! ```no_run
//! # async fn demo() {
//! use streamelements::fake::FakeSe;
//! let fake = FakeSe::start().await;
//! let env = fake.env(); // STREAMELEMENTS_* pointing at the fake, with a valid token and channel
//! let id = fake.tip("viewer", 4.2, "USD", "draw a cat"); // pushed if subscribed, stored for REST
//! # let _ = (env, id);
//! # }
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::config::{TokenType, KEY_API_BASE, KEY_CHANNEL, KEY_TOKEN, KEY_WS_URL};
use crate::tip::{format_iso_ms, parse_iso_ms};

/// The fake's channel `_id` (from the `/channels/me` example).
pub const CHANNEL: &str = "5b2e2007760aeb7729487dab";
/// The fake's valid token: a JWT-shaped string.
pub const TOKEN: &str =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjaGFubmVsIjoiNWIyZTIwMDc3NjBhZWI3NzI5NDg3ZGFiIn0.ZmFrZS1zaWduYXR1cmU";

const WELCOME: &str = include_str!("../tests/fixtures/astro_welcome_docs.json");
const RESPONSE_OK: &str = include_str!("../tests/fixtures/astro_subscribe_response_ok_docs.json");
const RESPONSE_ERR: &str = include_str!("../tests/fixtures/astro_error_response_docs.json");
const RECONNECT: &str = include_str!("../tests/fixtures/astro_reconnect_docs.json");
const TIP_MESSAGE: &str = include_str!("../tests/fixtures/astro_channel_tips_message_docs.json");
const MODERATION_ALLOWED: &str = include_str!("../tests/fixtures/astro_channel_tips_moderation_allowed_docs.json");
const TIPS_LIST: &str = include_str!("../tests/fixtures/rest_tips_list_response_docs.json");
const CHANNELS_ME: &str = include_str!("../tests/fixtures/rest_channels_me_response_docs.json");

const TOPICS: &[&str] = &["channel.tips", "channel.tips.moderation", "channel.activities"];

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

#[derive(Debug, Clone)]
enum Cmd {
    Push(String),
    /// Send this reconnect frame, stop pushing, close after a moment.
    Reconnect(String),
    Drop,
    Silence,
}

struct Conn {
    tx: mpsc::UnboundedSender<Cmd>,
    topics: HashSet<String>,
}

struct Inner {
    /// Every tip, in creation order (`createdAt` never decreases).
    tips: Vec<Value>,
    /// Answer `GET /tips` as if `after` had not been sent (a server that misreads it).
    ignore_after: bool,
    next_tip: u64,
    last_ms: i64,
    frozen: bool,
    token_valid: bool,
    conns: HashMap<u64, Conn>,
    next_conn: u64,
    reconnect_tokens: HashMap<String, HashSet<String>>,
    last_push: Option<(String, Value)>,
    upgrade_faults: VecDeque<(u16, Option<String>)>,
    subscribe_faults: VecDeque<String>,
    refused_topics: HashSet<String>,
    rest_faults: VecDeque<(u16, Option<String>)>,
    ping_interval: Duration,
    connections: u32,
    subscribe_frames: u32,
    resumed: u32,
    pongs: u32,
    rest_requests: Vec<String>,
}

type Shared = Arc<Mutex<Inner>>;

/// A fake StreamElements on loopback. Dropping it stops nothing (the server task ends with the runtime).
pub struct FakeSe {
    addr: SocketAddr,
    inner: Shared,
}

impl FakeSe {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> FakeSe {
        let inner = Arc::new(Mutex::new(Inner {
            tips: Vec::new(),
            ignore_after: false,
            next_tip: 1,
            last_ms: 0,
            frozen: false,
            token_valid: true,
            conns: HashMap::new(),
            next_conn: 1,
            reconnect_tokens: HashMap::new(),
            last_push: None,
            upgrade_faults: VecDeque::new(),
            subscribe_faults: VecDeque::new(),
            refused_topics: HashSet::new(),
            rest_faults: VecDeque::new(),
            ping_interval: Duration::from_secs(30),
            connections: 0,
            subscribe_frames: 0,
            resumed: 0,
            pongs: 0,
            rest_requests: Vec::new(),
        }));
        let app = Router::new()
            .route("/", get(websocket))
            .route("/kappa/v2/channels/me", get(channels_me))
            .route("/kappa/v2/tips/{channel}", get(tips))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeSe { addr, inner }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    /// `ws://127.0.0.1:<port>/`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// `http://127.0.0.1:<port>/kappa/v2`.
    pub fn api_base(&self) -> String {
        format!("http://{}/kappa/v2", self.addr)
    }

    /// The `STREAMELEMENTS_*` settings that point a service at this fake (valid token and channel).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (KEY_TOKEN.to_string(), TOKEN.to_string()),
            (KEY_CHANNEL.to_string(), CHANNEL.to_string()),
            (KEY_WS_URL.to_string(), self.ws_url()),
            (KEY_API_BASE.to_string(), self.api_base()),
        ]
    }

    /// A viewer tips (`approved: allowed`). Pushed on `channel.tips` to subscribed sockets, stored
    /// for REST. Returns the tip `_id`.
    pub fn tip(&self, user: &str, amount: f64, currency: &str, message: &str) -> String {
        self.add(user, amount, currency, message, "allowed")
    }

    /// A tip held by tip moderation (`approved: pending`): pushed on `channel.tips` and
    /// `channel.tips.moderation` as pending, stored for REST. Returns its `_id`.
    pub fn tip_pending(&self, user: &str, amount: f64, currency: &str, message: &str) -> String {
        self.add(user, amount, currency, message, "pending")
    }

    /// A moderator allows a pending tip: `channel.tips.moderation` gets it as `allowed`.
    pub fn approve(&self, id: &str) {
        self.moderate(id, "allowed");
    }

    /// A moderator rejects a pending tip: `channel.tips.moderation` gets it as `rejected`.
    pub fn reject(&self, id: &str) {
        self.moderate(id, "rejected");
    }

    /// The streamer deletes a tip: REST shows it with `deleted: true` (nothing is pushed).
    pub fn delete(&self, id: &str) {
        let mut g = self.lock();
        if let Some(t) = g.tips.iter_mut().find(|t| t["_id"] == id) {
            t["deleted"] = json!(true);
        }
    }

    /// Stores `tip` (an object shaped like a `channel.tips` `data`; `_id`/`createdAt` filled in when
    /// missing) and pushes it on `channel.tips` as it is. Returns its `_id`.
    pub fn tip_raw(&self, mut tip: Value) -> String {
        let mut g = self.lock();
        let id = match tip["_id"].as_str() {
            Some(id) => id.to_string(),
            None => {
                let id = new_id(&mut g);
                tip["_id"] = json!(id);
                id
            }
        };
        if tip["createdAt"].is_null() {
            let ms = clock(&mut g);
            tip["createdAt"] = json!(format_iso_ms(ms));
        }
        let mut stored = tip.clone();
        if stored.get("deleted").is_none() {
            stored["deleted"] = json!(false);
        }
        g.tips.push(stored);
        push(&mut g, "channel.tips", tip);
        id
    }

    /// Every socket gets `{"type":"reconnect"}` with a reconnect token that restores its subscriptions.
    pub fn send_reconnect(&self) {
        let mut g = self.lock();
        let ids: Vec<u64> = g.conns.keys().copied().collect();
        for id in ids {
            let conn = g.conns.remove(&id).expect("conn");
            let token = format!("rt-{id}-{}", rand::random::<u64>());
            g.reconnect_tokens.insert(token.clone(), conn.topics);
            let _ = conn.tx.send(Cmd::Reconnect(token));
        }
    }

    /// Every socket gets a reconnect frame whose token the next server refuses (closed at once).
    pub fn send_reconnect_invalid(&self) {
        let mut g = self.lock();
        for (_, conn) in g.conns.drain() {
            let _ = conn.tx.send(Cmd::Reconnect("rt-expired-or-tampered".into()));
        }
    }

    /// Every socket's TCP connection is dropped without a close frame.
    pub fn drop_socket(&self) {
        let mut g = self.lock();
        for (_, conn) in g.conns.drain() {
            let _ = conn.tx.send(Cmd::Drop);
        }
    }

    /// Every socket goes silent: no pings, no frames (tips made meanwhile are lost on it), open.
    pub fn silence(&self) {
        let mut g = self.lock();
        for (_, conn) in g.conns.drain() {
            let _ = conn.tx.send(Cmd::Silence);
        }
    }

    /// Pushes the last pushed frame again (a duplicate delivery).
    pub fn redeliver_last(&self) {
        let mut g = self.lock();
        if let Some((topic, data)) = g.last_push.clone() {
            push(&mut g, &topic, data);
        }
    }

    /// Open sockets subscribed to `channel.tips`.
    pub fn subscribed_sessions(&self) -> usize {
        self.lock().conns.values().filter(|c| !c.tx.is_closed() && c.topics.contains("channel.tips")).count()
    }

    /// Whether [`TOKEN`] is accepted (false: the streamer regenerated the JWT).
    pub fn set_token_valid(&self, valid: bool) {
        self.lock().token_valid = valid;
    }

    /// The next socket upgrade is answered with `status` (e.g. 429 with `Retry-After`, 502).
    pub fn fail_next_upgrade(&self, status: u16, retry_after: Option<&str>) {
        self.lock().upgrade_faults.push_back((status, retry_after.map(str::to_string)));
    }

    /// The next `subscribe` is answered with this `error` (e.g. `err_deadline_exceeded`).
    pub fn fail_next_subscribe(&self, error: &str) {
        self.lock().subscribe_faults.push_back(error.to_string());
    }

    /// Subscribes to `topic` are refused with `err_unauthorized` (a token without that scope, e.g.
    /// an OAuth2 token without `tips:moderation`).
    pub fn refuse_topic(&self, topic: &str) {
        self.lock().refused_topics.insert(topic.to_string());
    }

    /// The next REST request is answered with `status` (e.g. 429 with `Retry-After`, 500).
    pub fn fail_next_rest(&self, status: u16, retry_after: Option<&str>) {
        self.lock().rest_faults.push_back((status, retry_after.map(str::to_string)));
    }

    /// How often sockets get a WebSocket ping (default 30 s); applies to sockets opened later.
    pub fn set_ping_interval(&self, every: Duration) {
        self.lock().ping_interval = every;
    }

    /// While frozen, every new tip gets the same `createdAt` (equal timestamps).
    pub fn freeze_clock(&self, frozen: bool) {
        self.lock().frozen = frozen;
    }

    /// Makes `GET /tips` ignore `after` and list the whole history (a misbehaving server).
    pub fn ignore_after(&self, ignore: bool) {
        self.lock().ignore_after = ignore;
    }

    /// Socket upgrades accepted so far (resumes included).
    pub fn connections(&self) -> u32 {
        self.lock().connections
    }

    /// `subscribe` frames received so far.
    pub fn subscribe_frames(&self) -> u32 {
        self.lock().subscribe_frames
    }

    /// Sockets that resumed with a valid reconnect token.
    pub fn resumed(&self) -> u32 {
        self.lock().resumed
    }

    /// WebSocket pongs received.
    pub fn pongs(&self) -> u32 {
        self.lock().pongs
    }

    /// REST requests so far, as `GET <path>?<query>`.
    pub fn rest_requests(&self) -> Vec<String> {
        self.lock().rest_requests.clone()
    }

    /// Every stored tip, as REST serves it.
    pub fn stored_tips(&self) -> Vec<Value> {
        self.lock().tips.clone()
    }

    fn add(&self, user: &str, amount: f64, currency: &str, message: &str, approved: &str) -> String {
        let mut g = self.lock();
        let id = new_id(&mut g);
        let ms = clock(&mut g);
        // Shape of the documented channel.tips payload (astro_channel_tips_message_docs.json).
        let mut tip = fixture(TIP_MESSAGE)["data"].clone();
        tip["_id"] = json!(id);
        tip["channel"] = json!(CHANNEL);
        tip["donation"]["user"]["username"] = json!(user);
        tip["donation"]["user"]["email"] = json!(format!("{}@donor.example", user.to_lowercase().replace(' ', ".")));
        tip["donation"]["user"]["channel"] = json!(CHANNEL);
        tip["donation"]["message"] = json!(message);
        tip["donation"]["amount"] = json!(amount);
        tip["donation"]["currency"] = json!(currency);
        tip["approved"] = json!(approved);
        tip["createdAt"] = json!(format_iso_ms(ms));
        tip["updatedAt"] = json!(format_iso_ms(ms));
        tip["transactionId"] = json!(format!("{:017X}", rand::random::<u64>()));
        let mut stored = tip.clone();
        stored["deleted"] = json!(false);
        g.tips.push(stored);
        push(&mut g, "channel.tips", tip.clone());
        if approved != "allowed" {
            push(&mut g, "channel.tips.moderation", tip);
        }
        id
    }

    fn moderate(&self, id: &str, approved: &str) {
        let mut g = self.lock();
        let ms = clock(&mut g);
        let Some(tip) = g.tips.iter_mut().find(|t| t["_id"] == id) else { return };
        tip["approved"] = json!(approved);
        tip["updatedAt"] = json!(format_iso_ms(ms));
        tip["approvedBy"] = json!(fixture(MODERATION_ALLOWED)["data"]["approvedBy"].clone());
        let mut data = tip.clone();
        if let Some(o) = data.as_object_mut() {
            o.remove("deleted");
        }
        push(&mut g, "channel.tips.moderation", data);
    }
}

fn new_id(g: &mut Inner) -> String {
    let n = g.next_tip;
    g.next_tip += 1;
    format!("67b5f39d{n:016x}")
}

/// Milliseconds for the next tip: the wall clock, never going back; fixed while frozen.
fn clock(g: &mut Inner) -> i64 {
    if g.frozen && g.last_ms > 0 {
        return g.last_ms;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    g.last_ms = g.last_ms.max(now);
    g.last_ms
}

fn push(g: &mut Inner, topic: &str, data: Value) {
    let mut frame = fixture(TIP_MESSAGE);
    frame["id"] = json!(format!("01JMFBZF7K{:016X}", rand::random::<u64>()));
    frame["ts"] = json!(format_iso_ms(g.last_ms / 1000 * 1000));
    frame["topic"] = json!(topic);
    frame["room"] = json!(CHANNEL);
    frame["data"] = data.clone();
    let text = frame.to_string();
    g.last_push = Some((topic.to_string(), data));
    g.conns.retain(|_, c| !c.topics.contains(topic) || c.tx.send(Cmd::Push(text.clone())).is_ok());
}

fn bearer_ok(s: &Shared, headers: &HeaderMap) -> bool {
    let t = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let g = s.lock().unwrap();
    g.token_valid && t == Some(TOKEN)
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "statusCode": status.as_u16(),
        "error": status.canonical_reason().unwrap_or(""),
        "message": message,
    });
    (status, Json(body)).into_response()
}

/// Logs a REST request and answers a scripted fault if one is due.
fn rest_gate(s: &Shared, line: String) -> Option<Response> {
    let mut g = s.lock().unwrap();
    g.rest_requests.push(line);
    let (status, retry) = g.rest_faults.pop_front()?;
    let mut r = error(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "scripted fault");
    if let Some(v) = retry.and_then(|v| v.parse().ok()) {
        r.headers_mut().insert("retry-after", v);
    }
    Some(r)
}

async fn channels_me(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(r) = rest_gate(&s, "GET /channels/me".into()) {
        return r;
    }
    if !bearer_ok(&s, &headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    let mut body = fixture(CHANNELS_ME);
    body["_id"] = json!(CHANNEL);
    Json(body).into_response()
}

fn parse_time(v: &str) -> Option<i64> {
    v.parse::<i64>().ok().or_else(|| parse_iso_ms(v))
}

async fn tips(
    State(s): State<Shared>,
    Path(channel): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut keys: Vec<_> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    keys.sort();
    if let Some(r) = rest_gate(&s, format!("GET /tips/{channel}?{}", keys.join("&"))) {
        return r;
    }
    if !bearer_ok(&s, &headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    if channel != CHANNEL {
        return error(StatusCode::FORBIDDEN, "not allowed for this channel");
    }
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, m);
    let offset = match q.get("offset").map(|v| v.parse::<usize>()) {
        None => 0,
        Some(Ok(o)) => o,
        Some(Err(_)) => return bad("\"offset\" must be a number"),
    };
    let limit = match q.get("limit").map(|v| v.parse::<usize>()) {
        None => 25,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        Some(_) => return bad("\"limit\" must be between 1 and 100"),
    };
    let sort = q.get("sort").map_or("-createdAt", String::as_str);
    let allowed =
        ["createdAt", "-createdAt", "donation.amount", "-donation.amount", "donation.provider", "-donation.provider"];
    if !allowed.contains(&sort) {
        return bad("\"sort\" must be one of createdAt, -createdAt, donation.amount, …");
    }
    let after = match q.get("after").map(|v| parse_time(v)) {
        None => None,
        Some(Some(t)) => Some(t),
        Some(None) => return bad("\"after\" must be a number of milliseconds or a valid date"),
    };
    let before = match q.get("before").map(|v| parse_time(v)) {
        None => None,
        Some(Some(t)) => Some(t),
        Some(None) => return bad("\"before\" must be a number of milliseconds or a valid date"),
    };
    let g = s.lock().unwrap();
    let created = |t: &Value| t["createdAt"].as_str().and_then(parse_iso_ms).unwrap_or(0);
    let mut docs: Vec<Value> = g
        .tips
        .iter()
        .filter(|t| g.ignore_after || after.is_none_or(|a| created(t) > a))
        .filter(|t| before.is_none_or(|b| created(t) < b))
        .cloned()
        .collect();
    let amount = |t: &Value| t["donation"]["amount"].as_f64().unwrap_or(0.0);
    match sort.trim_start_matches('-') {
        "createdAt" => docs.sort_by_key(created),
        "donation.amount" => docs.sort_by(|a, b| amount(a).total_cmp(&amount(b))),
        _ => docs.sort_by(|a, b| a["provider"].as_str().cmp(&b["provider"].as_str())),
    }
    if sort.starts_with('-') {
        docs.reverse();
    }
    let total = docs.len();
    let page: Vec<Value> = docs.into_iter().skip(offset).take(limit).collect();
    // Reply shape of rest_tips_list_response_docs.json.
    let mut body = fixture(TIPS_LIST);
    body["docs"] = json!(page);
    body["total"] = json!(total);
    body["limit"] = json!(limit);
    body["offset"] = json!(offset);
    Json(body).into_response()
}

async fn websocket(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let fault = s.lock().unwrap().upgrade_faults.pop_front();
    if let Some((status, retry)) = fault {
        let mut r =
            (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), "upgrade refused").into_response();
        if let Some(v) = retry.and_then(|v| v.parse().ok()) {
            r.headers_mut().insert("retry-after", v);
        }
        return r;
    }
    let resume = q.get("reconnect_token").cloned();
    ws.on_upgrade(move |socket| serve(socket, s, resume))
}

async fn send(socket: &mut WebSocket, v: &Value) -> bool {
    socket.send(Message::Text(v.to_string().into())).await.is_ok()
}

fn response(nonce: &Value, error: Option<&str>, topic: &str, room: &str) -> Value {
    match error {
        None => {
            let mut r = fixture(RESPONSE_OK);
            r["nonce"] = nonce.clone();
            r["data"]["topic"] = json!(topic);
            r["data"]["room"] = json!(room);
            r
        }
        Some(e) => {
            let mut r = fixture(RESPONSE_ERR);
            r["nonce"] = nonce.clone();
            r["error"] = json!(e);
            r["data"]["message"] = json!(match e {
                "err_unauthorized" => "invalid token",
                "err_bad_request" => "invalid topic",
                "invalid_message_type" => "invalid message type",
                _ => "please retry",
            });
            r
        }
    }
}

async fn serve(mut socket: WebSocket, s: Shared, resume: Option<String>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registered = {
        let mut g = s.lock().unwrap();
        g.connections += 1;
        let topics = match &resume {
            None => Some(HashSet::new()),
            Some(token) => {
                let restored = g.reconnect_tokens.remove(token);
                g.resumed += u32::from(restored.is_some());
                restored
            }
        };
        topics.map(|topics| {
            let id = g.next_conn;
            g.next_conn += 1;
            // Registered before the welcome: a restored subscription misses nothing.
            g.conns.insert(id, Conn { tx, topics });
            (id, g.ping_interval)
        })
    };
    let Some((conn_id, ping_every)) = registered else {
        // "Invalid, expired, or tampered reconnect tokens cause the new connection to be closed immediately."
        let frame = CloseFrame { code: 4001, reason: "invalid reconnect token".into() };
        let _ = socket.send(Message::Close(Some(frame))).await;
        return;
    };
    let mut welcome = fixture(WELCOME);
    welcome["id"] = json!(format!("01J5KXYZ{conn_id:018}"));
    welcome["data"]["client_id"] = json!(format!("01J5KXYZ{conn_id:018}"));
    if !send(&mut socket, &welcome).await {
        return;
    }
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    loop {
        tokio::select! {
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                    let reply = on_request(&s, conn_id, &v);
                    if !send(&mut socket, &reply).await {
                        break;
                    }
                }
                Some(Ok(Message::Pong(_))) => s.lock().unwrap().pongs += 1,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if socket.send(Message::Ping(b"astro".to_vec().into())).await.is_err() {
                    break;
                }
            }
            cmd = rx.recv() => match cmd {
                Some(Cmd::Push(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Cmd::Reconnect(token)) => {
                    let mut frame = fixture(RECONNECT);
                    frame["data"]["reconnect_token"] = json!(token);
                    let _ = send(&mut socket, &frame).await;
                    // The server is shutting down: wait for the client to leave, then close.
                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                        while let Some(Ok(m)) = socket.recv().await {
                            if matches!(m, Message::Close(_)) {
                                break;
                            }
                        }
                    })
                    .await;
                    break;
                }
                Some(Cmd::Drop) | None => break,
                Some(Cmd::Silence) => {
                    // Read (so a client's close is seen) but never write, not even pings.
                    while let Some(Ok(m)) = socket.recv().await {
                        if matches!(m, Message::Close(_)) {
                            break;
                        }
                    }
                    break;
                }
            }
        }
    }
    s.lock().unwrap().conns.remove(&conn_id);
}

/// Answers one client frame (subscribe / unsubscribe / anything else).
fn on_request(s: &Shared, conn_id: u64, v: &Value) -> Value {
    let nonce = v.get("nonce").cloned().unwrap_or(json!(""));
    let d = &v["data"];
    let topic = d["topic"].as_str().unwrap_or_default();
    let room = d["room"].as_str().unwrap_or_default();
    let mut g = s.lock().unwrap();
    match v["type"].as_str() {
        Some("subscribe") => {
            g.subscribe_frames += 1;
            if let Some(e) = g.subscribe_faults.pop_front() {
                return response(&nonce, Some(&e), topic, room);
            }
            let token = d["token"].as_str().unwrap_or_default();
            let token_type = d["token_type"].as_str().unwrap_or_default();
            if !TOPICS.contains(&topic) {
                return response(&nonce, Some("err_bad_request"), topic, room);
            }
            if !g.token_valid
                || g.refused_topics.contains(topic)
                || token != TOKEN
                || token_type != TokenType::detect(token).as_str()
                || room != CHANNEL
            {
                return response(&nonce, Some("err_unauthorized"), topic, room);
            }
            if let Some(c) = g.conns.get_mut(&conn_id) {
                c.topics.insert(topic.to_string());
            }
            response(&nonce, None, topic, CHANNEL)
        }
        Some("unsubscribe") => {
            if let Some(c) = g.conns.get_mut(&conn_id) {
                if topic.is_empty() {
                    c.topics.clear();
                } else {
                    c.topics.remove(topic);
                }
            }
            let mut r = response(&nonce, None, topic, room);
            r["data"]["message"] = json!("successfully unsubscribed from topic");
            r
        }
        _ => response(&nonce, Some("invalid_message_type"), topic, room),
    }
}
