//! A fake Twitch on 127.0.0.1 (feature `fake`): EventSub WebSocket, the Helix endpoints this crate
//! uses, and OAuth (device code flow, refresh, validate). Frames and replies are built from the
//! fixtures in `crates/twitch/fixtures/` (copied from the Twitch docs and real logs).
//!
//! It behaves like Twitch where the intake depends on it:
//! * a welcome with `keepalive_timeout_seconds` (clamped like Twitch, 10..=600; see
//!   [`FakeTwitch::set_granted_keepalive`]), keepalives after silence, close 4003 when a fresh session
//!   gets no subscription within that window, close 4001 on any data frame from the client;
//! * `POST /helix/eventsub/subscriptions` needs `Client-Id` + a valid bearer token, a live session id
//!   and `transport.method == "websocket"`; answers 202 `enabled`, 409 on a duplicate;
//! * notifications only reach sessions subscribed to that type and condition;
//! * redemptions are stored UNFULFILLED until PATCHed; PATCH of a non-UNFULFILLED one answers 400
//!   (as the Twitch CLI's mock does), an unknown id 404; rewards made "in the dashboard"
//!   ([`FakeTwitch::create_reward`] with `manageable = false`) are hidden by
//!   `only_manageable_rewards=true` and answer 403 on redemptions calls and on renaming; a title is
//!   unique among a channel's rewards (400 on create or rename);
//! * `session_reconnect` sends a `reconnect_url` on the same fake; the subscriptions move to the
//!   new session when its welcome is sent; the old socket is closed with 4004 after a grace time
//!   unless the client closed it first.
//!
//! ```no_run
//! # async fn t() {
//! let fake = twitch::fake::FakeTwitch::start().await;
//! let env = fake.env(); // TWITCH_* pointing at the fake, with a valid token
//! // … build the source from `env`, run it …
//! let id = fake.redeem("Viewer", "a red fox");
//! assert_eq!(fake.redemption_status(&id).as_deref(), Some("UNFULFILLED"));
//! # }
//! ```

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// The broadcaster the fake's tokens belong to.
pub const BROADCASTER_ID: &str = "1337";
/// Its login.
pub const BROADCASTER_LOGIN: &str = "cool_user";
/// The only client id the fake accepts.
pub const CLIENT_ID: &str = "fakeclient0123456789abcdef";

const WELCOME: &str = include_str!("../fixtures/eventsub_ws_session_welcome_docs.json");
const KEEPALIVE: &str = include_str!("../fixtures/eventsub_ws_session_keepalive_docs.json");
const RECONNECT: &str = include_str!("../fixtures/eventsub_ws_session_reconnect_docs.json");
const REVOCATION: &str = include_str!("../fixtures/eventsub_ws_revocation_docs.json");
const NOTIFICATION: &str = include_str!("../fixtures/eventsub_ws_notification_channel_follow_docs.json");
const REDEMPTION_PAYLOAD: &str =
    include_str!("../fixtures/eventsub_channel_points_redemption_add_notification_payload_docs.json");
const CHEER_PAYLOAD: &str = include_str!("../fixtures/eventsub_channel_cheer_notification_payload_docs.json");
const REWARD_REPLY: &str = include_str!("../fixtures/helix_create_custom_reward_response_docs.json");
const REDEMPTIONS_REPLY: &str = include_str!("../fixtures/helix_get_custom_reward_redemption_response_docs.json");
const DEVICE_REPLY: &str = include_str!("../fixtures/oauth_device_code_response_real.json");
const TOKEN_REPLY: &str = include_str!("../fixtures/oauth_token_response_docs.json");
const VALIDATE_REPLY: &str = include_str!("../fixtures/oauth_validate_response_docs.json");

const REDEMPTION_TYPE: &str = "channel.channel_points_custom_reward_redemption.add";
const CHEER_TYPE: &str = "channel.cheer";
const REDEMPTION_UPDATE_TYPE: &str = "channel.channel_points_custom_reward_redemption.update";

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

fn uuid() -> String {
    let mut r = rand::rng();
    let h: [u16; 8] = std::array::from_fn(|_| r.random());
    format!(
        "{:04x}{:04x}-{:04x}-4{:03x}-a{:03x}-{:04x}{:04x}{:04x}",
        h[0],
        h[1],
        h[2],
        h[3] & 0xfff,
        h[4] & 0xfff,
        h[5],
        h[6],
        h[7]
    )
}

/// RFC 3339 UTC with nanoseconds, like EventSub.
fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

enum Cmd {
    Silence,
    Send(String),
    Close(u16, String),
    Drop,
}

struct Reward {
    id: String,
    title: String,
    cost: u64,
    manageable: bool,
}

struct Redemption {
    id: String,
    reward_id: String,
    user: String,
    input: String,
    status: String,
    redeemed_at: String,
}

struct Sub {
    id: String,
    kind: String,
    condition: Value,
    session_id: String,
    created_at: String,
}

struct Sess {
    tx: mpsc::UnboundedSender<Cmd>,
    /// Receives notifications (false once its subscriptions moved to a reconnect session).
    routed: bool,
    connected_at: String,
}

struct Device {
    device_code: String,
    pending_left: u32,
    slow_down_left: u32,
    denied: bool,
}

struct Inner {
    addr: SocketAddr,
    access: HashSet<String>,
    refresh: HashSet<String>,
    rewards: Vec<Reward>,
    redemptions: Vec<Redemption>,
    subs: Vec<Sub>,
    sessions: HashMap<String, Sess>,
    reconnect_ids: HashMap<String, String>,
    last_notification: Option<(String, String)>,
    devices: Vec<Device>,
    device_plan: (u32, u32, bool),
    granted_keepalive: Option<u64>,
    reconnect_grace: Duration,
    reconnect_welcome_delay: Duration,
    inbound_frames: u32,
    reconnects_waiting: u32,
    validations: u32,
    refreshes: u32,
    connections: u32,
    token_counter: u64,
    /// Helix calls still to answer 429 (see [`FakeTwitch::rate_limit`]), and Helix calls seen.
    rate_limited: u32,
    helix_calls: u32,
}

type Shared = Arc<Mutex<Inner>>;

/// A fake Twitch. Dropping it does not stop the server task (it ends with the test runtime).
pub struct FakeTwitch {
    addr: SocketAddr,
    inner: Shared,
}

fn issue(g: &mut Inner) -> (String, String) {
    g.token_counter += 1;
    let n = g.token_counter;
    let access = format!("fakeaccess{n}x{:08x}", rand::rng().random::<u32>());
    let refresh = format!("fakerefresh{n}x{:08x}", rand::rng().random::<u32>());
    g.access.insert(access.clone());
    g.refresh.insert(refresh.clone());
    (access, refresh)
}

impl FakeTwitch {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> FakeTwitch {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let inner = Arc::new(Mutex::new(Inner {
            addr,
            access: HashSet::new(),
            refresh: HashSet::new(),
            rewards: Vec::new(),
            redemptions: Vec::new(),
            subs: Vec::new(),
            sessions: HashMap::new(),
            reconnect_ids: HashMap::new(),
            last_notification: None,
            devices: Vec::new(),
            device_plan: (0, 0, false),
            granted_keepalive: None,
            reconnect_grace: Duration::from_secs(30),
            reconnect_welcome_delay: Duration::from_millis(200),
            inbound_frames: 0,
            reconnects_waiting: 0,
            validations: 0,
            refreshes: 0,
            connections: 0,
            token_counter: 0,
            rate_limited: 0,
            helix_calls: 0,
        }));
        let app = Router::new()
            .route("/ws", get(websocket))
            .route("/helix/eventsub/subscriptions", post(create_subscription))
            .route("/helix/channel_points/custom_rewards", get(get_rewards).post(create_reward).patch(update_reward))
            .route("/helix/channel_points/custom_rewards/redemptions", get(get_redemptions).patch(patch_redemption))
            .route("/oauth2/validate", get(validate))
            .route("/oauth2/token", post(token))
            .route("/oauth2/device", post(device))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTwitch { addr, inner }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `ws://…/ws`, `http://…/helix`, `http://…/oauth2`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
    pub fn api_base(&self) -> String {
        format!("http://{}/helix", self.addr)
    }
    pub fn auth_base(&self) -> String {
        format!("http://{}/oauth2", self.addr)
    }

    /// The `TWITCH_*` settings pointing at the fake, with a freshly issued valid access token.
    pub fn env(&self) -> Vec<(String, String)> {
        let (access, _) = self.issue_tokens();
        vec![
            ("TWITCH_EVENTSUB_WS_URL".into(), self.ws_url()),
            ("TWITCH_API_BASE".into(), self.api_base()),
            ("TWITCH_AUTH_BASE".into(), self.auth_base()),
            ("TWITCH_CLIENT_ID".into(), CLIENT_ID.into()),
            ("TWITCH_ACCESS_TOKEN".into(), access),
        ]
    }

    /// A valid (access, refresh) pair, as a login would store.
    pub fn issue_tokens(&self) -> (String, String) {
        issue(&mut self.lock())
    }

    /// Every access token stops working (401); refresh tokens still work.
    pub fn expire_access_tokens(&self) {
        self.lock().access.clear();
    }

    /// Every access and refresh token stops working (the streamer disconnected the app).
    pub fn revoke_all(&self) {
        let mut g = self.lock();
        g.access.clear();
        g.refresh.clear();
    }

    /// A reward, as if made by our app (`manageable`) or by hand in the dashboard. Returns its id.
    pub fn create_reward(&self, title: &str, manageable: bool) -> String {
        let id = uuid();
        self.lock().rewards.push(Reward { id: id.clone(), title: title.into(), cost: 1000, manageable });
        id
    }

    /// The next `calls` Helix calls answer 429 (bucket empty, `Ratelimit-Reset` one second ahead).
    pub fn rate_limit(&self, calls: u32) {
        self.lock().rate_limited = calls;
    }

    /// How many Helix calls the fake has answered (rate-limited ones included).
    pub fn helix_calls(&self) -> u32 {
        self.lock().helix_calls
    }

    /// Every reward: (title, manageable by our client id).
    pub fn rewards(&self) -> Vec<(String, bool)> {
        self.lock().rewards.iter().map(|r| (r.title.clone(), r.manageable)).collect()
    }

    /// A viewer redeems our reward (the newest manageable one) with `input`. Stored UNFULFILLED, and
    /// notified to every subscribed session (none: only stored, like a redemption made while we
    /// were down). Returns the redemption id. Panics if there is no manageable reward yet.
    pub fn redeem(&self, user: &str, input: &str) -> String {
        let mut g = self.lock();
        let reward = g.rewards.iter().rev().find(|r| r.manageable).expect("no manageable reward yet");
        let (reward_id, title, cost) = (reward.id.clone(), reward.title.clone(), reward.cost);
        let id = uuid();
        let redeemed_at = now_rfc3339();
        g.redemptions.push(Redemption {
            id: id.clone(),
            reward_id: reward_id.clone(),
            user: user.into(),
            input: input.into(),
            status: "UNFULFILLED".into(),
            redeemed_at: redeemed_at.clone(),
        });
        let mut event = fixture(REDEMPTION_PAYLOAD)["event"].clone();
        event["id"] = json!(id);
        event["broadcaster_user_id"] = json!(BROADCASTER_ID);
        event["broadcaster_user_login"] = json!(BROADCASTER_LOGIN);
        event["user_id"] = json!(format!("{}", rand::rng().random_range(10_000..99_999_999u32)));
        event["user_login"] = json!(user.to_lowercase());
        event["user_name"] = json!(user);
        event["user_input"] = json!(input);
        event["reward"] = json!({"id": reward_id, "title": title, "cost": cost, "prompt": "Describe what to draw"});
        event["redeemed_at"] = json!(redeemed_at);
        emit(&mut g, REDEMPTION_TYPE, event);
        id
    }

    /// A viewer cheers `bits` with `message`. Returns the notification's message id, or None when no
    /// session was subscribed (the cheer is lost, like on Twitch).
    pub fn cheer(&self, user: &str, bits: u64, message: &str) -> Option<String> {
        let mut event = fixture(CHEER_PAYLOAD)["event"].clone();
        event["user_login"] = json!(user.to_lowercase());
        event["user_name"] = json!(user);
        event["message"] = json!(message);
        event["bits"] = json!(bits);
        event["broadcaster_user_id"] = json!(BROADCASTER_ID);
        emit(&mut self.lock(), CHEER_TYPE, event)
    }

    /// An anonymous cheer (`user_*` null, `is_anonymous` true).
    pub fn cheer_anonymous(&self, bits: u64, message: &str) -> Option<String> {
        let mut event = fixture(CHEER_PAYLOAD)["event"].clone();
        for k in ["user_id", "user_login", "user_name"] {
            event[k] = Value::Null;
        }
        event["is_anonymous"] = json!(true);
        event["message"] = json!(message);
        event["bits"] = json!(bits);
        event["broadcaster_user_id"] = json!(BROADCASTER_ID);
        emit(&mut self.lock(), CHEER_TYPE, event)
    }

    /// A moderator cancels (refunds) an UNFULFILLED redemption in Twitch's reward queue: the status
    /// becomes CANCELED and `…redemption.update` is sent to subscribed sessions. False when it was
    /// not UNFULFILLED.
    pub fn cancel_in_queue(&self, id: &str) -> bool {
        let mut g = self.lock();
        let Some(pos) = g.redemptions.iter().position(|r| r.id == id && r.status == "UNFULFILLED") else {
            return false;
        };
        g.redemptions[pos].status = "CANCELED".into();
        let event = update_event(&g, pos);
        emit(&mut g, REDEMPTION_UPDATE_TYPE, event);
        true
    }

    /// Sends the last notification again, same `message_id` (Twitch's at-least-once delivery).
    pub fn redeliver_last(&self) -> bool {
        let g = self.lock();
        match &g.last_notification {
            Some((session, frame)) => match g.sessions.get(session) {
                Some(s) => s.tx.send(Cmd::Send(frame.clone())).is_ok(),
                None => false,
            },
            None => false,
        }
    }

    /// `session_reconnect` to every routed session, with a `reconnect_url` on this fake. The old
    /// socket is closed with 4004 after the grace time unless the client closes it first.
    pub fn send_session_reconnect(&self) {
        let mut g = self.lock();
        let addr = g.addr;
        let grace = g.reconnect_grace;
        let ids: Vec<String> = g.sessions.iter().filter(|(_, s)| s.routed).map(|(id, _)| id.clone()).collect();
        for id in ids {
            let token = uuid();
            g.reconnect_ids.insert(token.clone(), id.clone());
            let mut frame = fixture(RECONNECT);
            frame["metadata"]["message_id"] = json!(uuid());
            frame["metadata"]["message_timestamp"] = json!(now_rfc3339());
            frame["payload"]["session"]["id"] = json!(id);
            frame["payload"]["session"]["reconnect_url"] = json!(format!("ws://{addr}/ws?reconnect_id={token}"));
            if let Some(s) = g.sessions.get(&id) {
                let _ = s.tx.send(Cmd::Send(frame.to_string()));
                let tx = s.tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(grace).await;
                    let _ = tx.send(Cmd::Close(4004, "client reconnect grace time expired".into()));
                });
            }
        }
    }

    /// Drops every socket's TCP connection without a close frame.
    pub fn drop_socket(&self) {
        for s in self.lock().sessions.values() {
            let _ = s.tx.send(Cmd::Drop);
        }
    }

    /// Closes every socket with this close code (4000..=4007 like Twitch).
    pub fn close_sockets(&self, code: u16) {
        for s in self.lock().sessions.values() {
            let _ = s.tx.send(Cmd::Close(code, format!("closed by the test ({code})")));
        }
    }

    /// Sends a `revocation` of every subscription with this status (`authorization_revoked`,
    /// `user_removed`, `version_removed`) and removes them.
    pub fn send_revocation(&self, status: &str) {
        let mut g = self.lock();
        let subs: Vec<Sub> = std::mem::take(&mut g.subs);
        for sub in subs {
            let mut frame = fixture(REVOCATION);
            frame["metadata"]["message_id"] = json!(uuid());
            frame["metadata"]["subscription_type"] = json!(sub.kind);
            frame["payload"]["subscription"] = sub_json(&sub, &g, status);
            if let Some(s) = g.sessions.get(&sub.session_id) {
                let _ = s.tx.send(Cmd::Send(frame.to_string()));
            }
        }
    }

    /// A redemption's status (`UNFULFILLED`, `FULFILLED`, `CANCELED`), None if unknown.
    pub fn redemption_status(&self, id: &str) -> Option<String> {
        self.lock().redemptions.iter().find(|r| r.id == id).map(|r| r.status.clone())
    }

    /// Enabled subscriptions (on connected sessions).
    pub fn subscription_count(&self) -> usize {
        let g = self.lock();
        g.subs.iter().filter(|s| g.sessions.contains_key(&s.session_id)).count()
    }

    /// Open sockets.
    pub fn connected_sessions(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Sockets ever opened.
    pub fn connections(&self) -> u32 {
        self.lock().connections
    }

    /// Reconnect sockets that are open but not yet welcomed (see [`Self::set_reconnect_welcome_delay`]).
    pub fn reconnects_waiting(&self) -> u32 {
        self.lock().reconnects_waiting
    }

    /// Data frames the client sent (Twitch closes with 4001 for any).
    pub fn inbound_frames(&self) -> u32 {
        self.lock().inbound_frames
    }

    /// `/oauth2/validate` calls, and successful refreshes.
    pub fn validations(&self) -> u32 {
        self.lock().validations
    }
    pub fn refreshes(&self) -> u32 {
        self.lock().refreshes
    }

    /// The next device-code logins answer `authorization_pending` `pending` times, then `slow_down`
    /// `slow_down` times, then succeed (or `access_denied` when `deny`).
    pub fn set_device_flow(&self, pending: u32, slow_down: u32, deny: bool) {
        self.lock().device_plan = (pending, slow_down, deny);
    }

    /// Grant this `keepalive_timeout_seconds` to new sessions whatever the client asks (Twitch
    /// grants what was asked, clamped to 10..=600); lets a test see the watchdog in a second.
    pub fn set_granted_keepalive(&self, secs: u64) {
        self.lock().granted_keepalive = Some(secs.max(1));
    }

    /// Every open socket goes silent: no keepalives, no notifications, no close (a stalled edge).
    /// Notifications meant for it are lost, like on Twitch.
    pub fn silence(&self) {
        for s in self.lock().sessions.values() {
            let _ = s.tx.send(Cmd::Silence);
        }
    }

    /// How long an old socket stays open after `session_reconnect` (Twitch: 30 s).
    pub fn set_reconnect_grace(&self, grace: Duration) {
        self.lock().reconnect_grace = grace;
    }

    /// How long the reconnect socket waits before its welcome (events meanwhile go to the old one).
    pub fn set_reconnect_welcome_delay(&self, delay: Duration) {
        self.lock().reconnect_welcome_delay = delay;
    }
}

fn sub_json(sub: &Sub, g: &Inner, status: &str) -> Value {
    let connected_at = g.sessions.get(&sub.session_id).map(|s| s.connected_at.clone()).unwrap_or_default();
    json!({
        "id": sub.id,
        "status": status,
        "type": sub.kind,
        "version": "1",
        "cost": 0,
        "condition": sub.condition,
        "transport": {"method": "websocket", "session_id": sub.session_id, "connected_at": connected_at},
        "created_at": sub.created_at,
    })
}

fn matches(sub: &Sub, kind: &str, event: &Value) -> bool {
    if sub.kind != kind {
        return false;
    }
    let cond_b = sub.condition.get("broadcaster_user_id").and_then(Value::as_str);
    if cond_b != event.get("broadcaster_user_id").and_then(Value::as_str) {
        return false;
    }
    match sub.condition.get("reward_id").and_then(Value::as_str) {
        Some(r) => event.pointer("/reward/id").and_then(Value::as_str) == Some(r),
        None => true,
    }
}

/// Sends a notification to every routed session with a matching subscription; the message id.
fn emit(g: &mut Inner, kind: &str, event: Value) -> Option<String> {
    let mut sent = None;
    let targets: Vec<usize> = (0..g.subs.len()).filter(|&i| matches(&g.subs[i], kind, &event)).collect();
    for i in targets {
        let session_id = g.subs[i].session_id.clone();
        let Some(sess) = g.sessions.get(&session_id).filter(|s| s.routed) else {
            continue;
        };
        let message_id = uuid();
        let mut frame = fixture(NOTIFICATION);
        frame["metadata"]["message_id"] = json!(message_id);
        frame["metadata"]["message_timestamp"] = json!(now_rfc3339());
        frame["metadata"]["subscription_type"] = json!(kind);
        frame["metadata"]["subscription_version"] = json!("1");
        frame["payload"]["subscription"] = sub_json(&g.subs[i], g, "enabled");
        frame["payload"]["event"] = event.clone();
        let text = frame.to_string();
        let _ = sess.tx.send(Cmd::Send(text.clone()));
        g.last_notification = Some((session_id, text));
        sent = Some(message_id);
    }
    sent
}

/// The `…redemption.update` event of redemption `pos` (EventSub writes the status in lower case).
fn update_event(g: &Inner, pos: usize) -> Value {
    let r = &g.redemptions[pos];
    let reward = g.rewards.iter().find(|w| w.id == r.reward_id);
    let mut event = fixture(REDEMPTION_PAYLOAD)["event"].clone();
    event["id"] = json!(r.id);
    event["broadcaster_user_id"] = json!(BROADCASTER_ID);
    event["broadcaster_user_login"] = json!(BROADCASTER_LOGIN);
    event["user_login"] = json!(r.user.to_lowercase());
    event["user_name"] = json!(r.user);
    event["user_input"] = json!(r.input);
    event["status"] = json!(r.status.to_lowercase());
    event["reward"] = json!({
        "id": r.reward_id,
        "title": reward.map(|w| w.title.clone()).unwrap_or_default(),
        "cost": reward.map(|w| w.cost).unwrap_or_default(),
        "prompt": "Describe what to draw",
    });
    event["redeemed_at"] = json!(r.redeemed_at);
    event
}

fn error(status: StatusCode, message: &str) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    (status, Json(json!({"error": reason, "status": status.as_u16(), "message": message}))).into_response()
}

/// Helix auth: `Client-Id` must be ours and the bearer token valid.
#[allow(clippy::result_large_err)] // a test server: the error is the reply itself
fn helix_auth(s: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    {
        // Helix's rate limit: 429 with the bucket's headers, `Ratelimit-Reset` in Unix seconds.
        let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
        g.helix_calls += 1;
        if g.rate_limited > 0 {
            g.rate_limited -= 1;
            let reset = chrono::Utc::now().timestamp() as u64 + 1;
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            let h = r.headers_mut();
            h.insert("ratelimit-limit", axum::http::HeaderValue::from_static("800"));
            h.insert("ratelimit-remaining", axum::http::HeaderValue::from_static("0"));
            h.insert("ratelimit-reset", axum::http::HeaderValue::from(reset));
            return Err(r);
        }
    }
    let client = headers.get("client-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if client != CLIENT_ID {
        return Err(error(StatusCode::UNAUTHORIZED, "Client ID and OAuth token do not match"));
    }
    if !s.lock().unwrap_or_else(|e| e.into_inner()).access.contains(bearer) {
        return Err(error(StatusCode::UNAUTHORIZED, "Invalid OAuth token"));
    }
    Ok(())
}

type Q = Query<HashMap<String, String>>;

async fn validate(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("OAuth "))
        .unwrap_or("")
        .to_string();
    let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
    g.validations += 1;
    if !g.access.contains(&token) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"status": 401, "message": "invalid access token"})))
            .into_response();
    }
    let mut body = fixture(VALIDATE_REPLY);
    body["client_id"] = json!(CLIENT_ID);
    body["login"] = json!(BROADCASTER_LOGIN);
    body["user_id"] = json!(BROADCASTER_ID);
    body["scopes"] = json!(["bits:read", "channel:manage:redemptions"]);
    body["expires_in"] = json!(14000);
    Json(body).into_response()
}

async fn token(State(s): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    let f = |k: &str| form.get(k).cloned().unwrap_or_default();
    let bad = |m: &str| (StatusCode::BAD_REQUEST, Json(json!({"status": 400, "message": m}))).into_response();
    let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
    if f("client_id") != CLIENT_ID {
        return bad("invalid client");
    }
    if form.contains_key("client_secret") {
        return bad("a public client must not send a client secret");
    }
    let reply = |access: String, refresh: String| {
        let mut body = fixture(TOKEN_REPLY);
        body["access_token"] = json!(access);
        body["refresh_token"] = json!(refresh);
        body["scope"] = json!(["bits:read", "channel:manage:redemptions"]);
        Json(body).into_response()
    };
    match f("grant_type").as_str() {
        "refresh_token" => {
            // One-time use: the old refresh token dies, a new pair is issued.
            if !g.refresh.remove(&f("refresh_token")) {
                return bad("Invalid refresh token");
            }
            g.refreshes += 1;
            let (a, r) = issue(&mut g);
            reply(a, r)
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let code = f("device_code");
            let Some(pos) = g.devices.iter().position(|d| d.device_code == code) else {
                return bad("invalid device code");
            };
            let d = &mut g.devices[pos];
            if d.pending_left > 0 {
                d.pending_left -= 1;
                return bad("authorization_pending");
            }
            if d.slow_down_left > 0 {
                d.slow_down_left -= 1;
                return bad("slow_down");
            }
            let denied = d.denied;
            g.devices.remove(pos);
            if denied {
                return bad("access_denied");
            }
            let (a, r) = issue(&mut g);
            reply(a, r)
        }
        _ => bad("unsupported grant type"),
    }
}

async fn device(State(s): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, Json(json!({"status": 400, "message": "invalid client"}))).into_response();
    }
    if form.get("scopes").is_none_or(|s| s.is_empty()) {
        return (StatusCode::BAD_REQUEST, Json(json!({"status": 400, "message": "missing scopes"}))).into_response();
    }
    let device_code = format!("fakedevice{}", uuid().replace('-', ""));
    let user_code: String = {
        let mut r = rand::rng();
        (0..8).map(|_| char::from(b'A' + r.random_range(0..26u8))).collect()
    };
    let (pending, slow_down, deny) = g.device_plan;
    g.devices.push(Device {
        device_code: device_code.clone(),
        pending_left: pending,
        slow_down_left: slow_down,
        denied: deny,
    });
    let mut body = fixture(DEVICE_REPLY);
    body["device_code"] = json!(device_code);
    body["user_code"] = json!(user_code);
    body["interval"] = json!(1);
    body["verification_uri"] = json!(format!("http://{}/activate?device-code={user_code}", g.addr));
    Json(body).into_response()
}

fn reward_json(r: &Reward) -> Value {
    let mut body = fixture(REWARD_REPLY)["data"][0].clone();
    body["broadcaster_id"] = json!(BROADCASTER_ID);
    body["broadcaster_login"] = json!(BROADCASTER_LOGIN);
    body["broadcaster_name"] = json!(BROADCASTER_LOGIN);
    body["id"] = json!(r.id);
    body["title"] = json!(r.title);
    body["cost"] = json!(r.cost);
    body["prompt"] = json!("Describe what to draw");
    body["is_user_input_required"] = json!(true);
    body
}

async fn get_rewards(State(s): State<Shared>, headers: HeaderMap, Query(q): Q) -> Response {
    if let Err(r) = helix_auth(&s, &headers) {
        return r;
    }
    if let Err(r) = our_broadcaster(&q) {
        return r;
    }
    let only = q.get("only_manageable_rewards").map(String::as_str) == Some("true");
    let g = s.lock().unwrap_or_else(|e| e.into_inner());
    let data: Vec<Value> = g.rewards.iter().filter(|r| !only || r.manageable).map(reward_json).collect();
    Json(json!({ "data": data })).into_response()
}

async fn create_reward(State(s): State<Shared>, headers: HeaderMap, Query(q): Q, Json(body): Json<Value>) -> Response {
    if let Err(r) = helix_auth(&s, &headers) {
        return r;
    }
    if let Err(r) = our_broadcaster(&q) {
        return r;
    }
    let title = body.get("title").and_then(Value::as_str).unwrap_or("").to_string();
    let cost = body.get("cost").and_then(Value::as_u64).unwrap_or(0);
    if title.is_empty() || title.chars().count() > 45 || cost < 1 {
        return error(StatusCode::BAD_REQUEST, "title (1-45 characters) and cost (>= 1) are required");
    }
    let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
    if g.rewards.iter().any(|r| r.title.eq_ignore_ascii_case(&title)) {
        return error(StatusCode::BAD_REQUEST, "CREATE_CUSTOM_REWARD_DUPLICATE_REWARD");
    }
    let reward = Reward { id: uuid(), title, cost, manageable: true };
    let reply = reward_json(&reward);
    g.rewards.push(reward);
    Json(json!({ "data": [reply] })).into_response()
}

/// `PATCH custom_rewards?broadcaster_id&id` with `{"title"}` (Update Custom Reward): only a reward our
/// app made (403 otherwise, 404 when unknown); a title another reward has is refused (400), as on create.
async fn update_reward(State(s): State<Shared>, headers: HeaderMap, Query(q): Q, Json(body): Json<Value>) -> Response {
    if let Err(r) = helix_auth(&s, &headers) {
        return r;
    }
    if let Err(r) = our_broadcaster(&q) {
        return r;
    }
    let id = q.get("id").cloned().unwrap_or_default();
    let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
    let Some(pos) = g.rewards.iter().position(|r| r.id == id) else {
        return error(StatusCode::NOT_FOUND, "The custom reward was not found");
    };
    if !g.rewards[pos].manageable {
        return error(
            StatusCode::FORBIDDEN,
            "The ID in the Client-Id header must match the client ID used to create the custom reward.",
        );
    }
    if let Some(title) = body.get("title").and_then(Value::as_str) {
        if title.is_empty() || title.chars().count() > 45 {
            return error(StatusCode::BAD_REQUEST, "title must be 1-45 characters");
        }
        if g.rewards.iter().any(|r| r.id != id && r.title.eq_ignore_ascii_case(title)) {
            return error(StatusCode::BAD_REQUEST, "UPDATE_CUSTOM_REWARD_DUPLICATE_REWARD");
        }
        g.rewards[pos].title = title.to_string();
    }
    Json(json!({ "data": [reward_json(&g.rewards[pos])] })).into_response()
}

fn redemption_json(r: &Redemption, g: &Inner) -> Value {
    let mut item = fixture(REDEMPTIONS_REPLY)["data"][0].clone();
    let reward = g.rewards.iter().find(|w| w.id == r.reward_id);
    item["broadcaster_id"] = json!(BROADCASTER_ID);
    item["broadcaster_login"] = json!(BROADCASTER_LOGIN);
    item["broadcaster_name"] = json!(BROADCASTER_LOGIN);
    item["id"] = json!(r.id);
    item["user_login"] = json!(r.user.to_lowercase());
    item["user_name"] = json!(r.user);
    item["user_input"] = json!(r.input);
    item["status"] = json!(r.status);
    item["redeemed_at"] = json!(r.redeemed_at);
    item["reward"] = json!({
        "id": r.reward_id,
        "title": reward.map(|w| w.title.clone()).unwrap_or_default(),
        "prompt": "Describe what to draw",
        "cost": reward.map(|w| w.cost).unwrap_or(0),
    });
    item
}

/// Helix reward calls: `broadcaster_id` must be the token's user.
#[allow(clippy::result_large_err)] // a test server: the error is the reply itself
fn our_broadcaster(q: &HashMap<String, String>) -> Result<(), Response> {
    if q.get("broadcaster_id").map(String::as_str) != Some(BROADCASTER_ID) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "The broadcaster_id query parameter is required and must match the token",
        ));
    }
    Ok(())
}

/// The checks shared by GET and PATCH redemptions: our broadcaster, a reward we may manage.
#[allow(clippy::result_large_err)]
fn redemption_scope(g: &Inner, q: &HashMap<String, String>) -> Result<String, Response> {
    our_broadcaster(q)?;
    let reward_id = q.get("reward_id").cloned().unwrap_or_default();
    match g.rewards.iter().find(|r| r.id == reward_id) {
        None => Err(error(StatusCode::NOT_FOUND, "The custom reward was not found")),
        Some(r) if !r.manageable => Err(error(
            StatusCode::FORBIDDEN,
            "The ID in the Client-Id header must match the client ID used to create the custom reward.",
        )),
        Some(_) => Ok(reward_id),
    }
}

async fn get_redemptions(State(s): State<Shared>, headers: HeaderMap, Query(q): Q) -> Response {
    if let Err(r) = helix_auth(&s, &headers) {
        return r;
    }
    let g = s.lock().unwrap_or_else(|e| e.into_inner());
    let reward_id = match redemption_scope(&g, &q) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let id = q.get("id");
    let status = q.get("status");
    if id.is_none() && status.is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "The status query parameter is required if you didn't specify the id query parameter",
        );
    }
    let mut items: Vec<&Redemption> = g
        .redemptions
        .iter()
        .filter(|r| r.reward_id == reward_id)
        .filter(|r| id.is_none_or(|i| &r.id == i))
        .filter(|r| status.is_none_or(|s| &r.status == s))
        .collect();
    if q.get("sort").map(String::as_str) != Some("OLDEST") {
        items.reverse();
    }
    let first: usize = q.get("first").and_then(|f| f.parse().ok()).unwrap_or(20).clamp(1, 50);
    let start: usize = q.get("after").and_then(|a| a.strip_prefix("cursor")).and_then(|a| a.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = items.iter().skip(start).take(first).map(|r| redemption_json(r, &g)).collect();
    let pagination =
        if start + first < items.len() { json!({"cursor": format!("cursor{}", start + first)}) } else { json!({}) };
    Json(json!({"data": page, "pagination": pagination})).into_response()
}

async fn patch_redemption(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Q,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = helix_auth(&s, &headers) {
        return r;
    }
    let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(r) = redemption_scope(&g, &q) {
        return r;
    }
    let target = body.get("status").and_then(Value::as_str).unwrap_or("");
    if target != "FULFILLED" && target != "CANCELED" {
        return error(StatusCode::BAD_REQUEST, "status must be FULFILLED or CANCELED");
    }
    let id = q.get("id").cloned().unwrap_or_default();
    let reward_id = q.get("reward_id").cloned().unwrap_or_default();
    let Some(pos) = g.redemptions.iter().position(|r| r.id == id && r.reward_id == reward_id) else {
        return error(StatusCode::NOT_FOUND, "The redemptions specified in the id query parameter were not found");
    };
    if g.redemptions[pos].status != "UNFULFILLED" {
        return error(StatusCode::BAD_REQUEST, "The redemption is not UNFULFILLED");
    }
    g.redemptions[pos].status = target.to_string();
    // Twitch tells every `…redemption.update` subscriber, the updating app included.
    let event = update_event(&g, pos);
    emit(&mut g, REDEMPTION_UPDATE_TYPE, event);
    let item = redemption_json(&g.redemptions[pos], &g);
    Json(json!({ "data": [item] })).into_response()
}

async fn create_subscription(State(s): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = helix_auth(&s, &headers) {
        return r;
    }
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("").to_string();
    let version = body.get("version").and_then(Value::as_str).unwrap_or("");
    let condition = body.get("condition").cloned().unwrap_or(Value::Null);
    let method = body.pointer("/transport/method").and_then(Value::as_str).unwrap_or("");
    let session_id = body.pointer("/transport/session_id").and_then(Value::as_str).unwrap_or("").to_string();
    if ![REDEMPTION_TYPE, REDEMPTION_UPDATE_TYPE, CHEER_TYPE].contains(&kind.as_str()) || version != "1" {
        return error(StatusCode::BAD_REQUEST, "The combination of values in the type and version fields is not valid");
    }
    if condition.get("broadcaster_user_id").and_then(Value::as_str) != Some(BROADCASTER_ID) {
        return error(StatusCode::FORBIDDEN, "The broadcaster_user_id must match the user in the access token");
    }
    if method != "websocket" {
        return error(StatusCode::BAD_REQUEST, "transport.method must be websocket for this fake");
    }
    let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
    if !g.sessions.get(&session_id).is_some_and(|s| s.routed) {
        return error(
            StatusCode::BAD_REQUEST,
            "websocket transport session does not exist or has already disconnected",
        );
    }
    if g.subs.iter().any(|x| x.kind == kind && x.condition == condition && x.session_id == session_id) {
        return error(StatusCode::CONFLICT, "subscription already exists");
    }
    let sub = Sub { id: uuid(), kind, condition, session_id, created_at: now_rfc3339() };
    let data = sub_json(&sub, &g, "enabled");
    g.subs.push(sub);
    (StatusCode::ACCEPTED, Json(json!({"data": [data], "total": 1, "total_cost": 0, "max_total_cost": 10})))
        .into_response()
}

async fn websocket(State(s): State<Shared>, Query(q): Q, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| serve_socket(socket, s, q))
}

async fn serve_socket(mut socket: WebSocket, s: Shared, q: HashMap<String, String>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let session_id = format!("AQoQ{}", uuid().replace('-', ""));
    let connected_at = now_rfc3339();
    let (keepalive, fresh) = {
        let reconnect = q.get("reconnect_id").cloned();
        let delay = s.lock().unwrap_or_else(|e| e.into_inner()).reconnect_welcome_delay;
        if reconnect.is_some() {
            s.lock().unwrap_or_else(|e| e.into_inner()).reconnects_waiting += 1;
            tokio::time::sleep(delay).await;
            s.lock().unwrap_or_else(|e| e.into_inner()).reconnects_waiting -= 1;
        }
        let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
        g.connections += 1;
        let keepalive = g.granted_keepalive.unwrap_or_else(|| {
            q.get("keepalive_timeout_seconds").and_then(|k| k.parse::<u64>().ok()).unwrap_or(10).clamp(10, 600)
        });
        match reconnect {
            Some(token) => match g.reconnect_ids.remove(&token) {
                None => (keepalive, None),
                Some(old) => {
                    // The subscriptions move to the new session; the old one gets no more events.
                    for sub in g.subs.iter_mut().filter(|x| x.session_id == old) {
                        sub.session_id = session_id.clone();
                    }
                    if let Some(o) = g.sessions.get_mut(&old) {
                        o.routed = false;
                    }
                    g.sessions.insert(
                        session_id.clone(),
                        Sess { tx: tx.clone(), routed: true, connected_at: connected_at.clone() },
                    );
                    (keepalive, Some(false))
                }
            },
            None => {
                g.sessions.insert(
                    session_id.clone(),
                    Sess { tx: tx.clone(), routed: true, connected_at: connected_at.clone() },
                );
                (keepalive, Some(true))
            }
        }
    };
    let Some(fresh) = fresh else {
        let _ = socket.send(Message::Close(Some(CloseFrame { code: 4007, reason: "invalid reconnect".into() }))).await;
        return;
    };
    let mut welcome = fixture(WELCOME);
    welcome["metadata"]["message_id"] = json!(uuid());
    welcome["metadata"]["message_timestamp"] = json!(now_rfc3339());
    welcome["payload"]["session"]["id"] = json!(session_id);
    welcome["payload"]["session"]["connected_at"] = json!(connected_at);
    welcome["payload"]["session"]["keepalive_timeout_seconds"] = json!(keepalive);
    welcome["payload"]["session"]["recovery_url"] = Value::Null; // an unknown field, like Twitch may add
    let mut ok = socket.send(Message::Text(welcome.to_string().into())).await.is_ok();
    let window = tokio::time::Instant::now() + Duration::from_secs(keepalive);
    let silence = Duration::from_millis(keepalive * 750);
    let mut next_keepalive = tokio::time::Instant::now() + silence;
    let mut dropped = false;
    let mut window_checked = false;
    let mut silent = false;
    while ok {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Cmd::Silence) => silent = true,
                Some(Cmd::Send(_)) if silent => {}
                Some(Cmd::Send(text)) => {
                    ok = socket.send(Message::Text(text.into())).await.is_ok();
                    next_keepalive = tokio::time::Instant::now() + silence;
                }
                Some(Cmd::Close(code, reason)) => {
                    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                Some(Cmd::Drop) | None => {
                    dropped = true;
                    break;
                }
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                    s.lock().unwrap_or_else(|e| e.into_inner()).inbound_frames += 1;
                    let _ = socket.send(Message::Close(Some(CloseFrame { code: 4001, reason: "sent inbound traffic".into() }))).await;
                    break;
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = tokio::time::sleep_until(next_keepalive), if !silent => {
                let mut frame = fixture(KEEPALIVE);
                frame["metadata"]["message_id"] = json!(uuid());
                frame["metadata"]["message_timestamp"] = json!(now_rfc3339());
                ok = socket.send(Message::Text(frame.to_string().into())).await.is_ok();
                next_keepalive = tokio::time::Instant::now() + silence;
            }
            _ = tokio::time::sleep_until(window), if fresh && !window_checked => {
                window_checked = true;
                let subscribed = s.lock().unwrap_or_else(|e| e.into_inner()).subs.iter().any(|x| x.session_id == session_id);
                if !subscribed {
                    let _ = socket.send(Message::Close(Some(CloseFrame { code: 4003, reason: "connection unused".into() }))).await;
                    break;
                }
            }
        }
    }
    {
        let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
        g.sessions.remove(&session_id);
        // Closed before the reconnect socket got its welcome: that reconnect is now invalid (4007).
        g.reconnect_ids.retain(|_, old| old != &session_id);
        // Subscriptions of a disconnected session are disabled (they stay only if moved on).
        g.subs.retain(|x| x.session_id != session_id);
    }
    if dropped {
        // No close frame: the TCP connection just goes away.
        drop(socket);
    }
}
