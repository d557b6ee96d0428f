//! A fake Donation Alerts on 127.0.0.1: REST API v1, OAuth token endpoint and the Centrifugo
//! WebSocket, answering with the shapes of the fixtures in `tests/fixtures/` (copied from
//! shared/fixtures/donationalerts). Faults are injected from the test: socket closes, resets,
//! silence, garbage frames, and HTTP 429/500.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

pub const USER_ID: i64 = 13907608;
pub const CLIENT_ID: &str = "4242";
pub const CLIENT_SECRET: &str = "app-secret-Zq9w";

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn channel() -> String {
    format!("$alerts:donation_{USER_ID}")
}

/// A scripted HTTP fault for the next matching request.
#[derive(Debug, Clone)]
pub enum HttpFault {
    /// 429 with this `Retry-After` header value (None: no header).
    TooMany(Option<String>),
    /// A 5xx.
    Status(u16),
}

/// What the test tells an open socket to do.
#[derive(Debug, Clone)]
pub enum WsCmd {
    Push(String),
    /// Close frame with this code and `{"reason":…,"reconnect":…}`.
    Close(u16, bool),
    /// Drop the TCP connection without a close frame.
    Reset,
    /// Stop reading and writing: no pongs, no publications (they are lost).
    Silence,
    /// Send junk text and binary frames (nothing is lost).
    Garbage,
    /// Replace the next publication with a junk frame (that donation is lost on the socket).
    CorruptNext,
    /// Send a WebSocket ping control frame (Centrifugo does every 25 s).
    Ping,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub at: Instant,
    pub what: String,
    pub status: u16,
}

pub struct Inner {
    /// Oldest first; served newest first like DA.
    pub donations: Vec<Value>,
    pub next_id: i64,
    pub per_page: usize,
    /// Serve the list oldest first (DA's order is undocumented; newest first in practice).
    pub oldest_first: bool,
    pub valid_access: HashSet<String>,
    pub valid_refresh: HashSet<String>,
    pub socket_tokens: HashSet<String>,
    pub channel_tokens: HashMap<String, String>,
    pub auth_codes: HashMap<String, String>,
    pub requests: Vec<Logged>,
    pub scripted: VecDeque<(String, HttpFault)>,
    pub random_fault_rate: f64,
    pub rng: StdRng,
    pub sockets: Vec<mpsc::UnboundedSender<WsCmd>>,
    pub connections: u32,
    /// Close every socket right after it subscribed, with this code and reconnect advice.
    pub close_after_subscribe: Option<(u16, bool)>,
    /// Application pings (`{"method":7}`) received.
    pub app_pings: u32,
    /// WebSocket pongs received (answers to our WebSocket pings).
    pub pongs: u32,
    pub seq: u64,
    pub counter: u64,
    /// Every secret the fake handed out (for the "nothing secret in the logs" test).
    pub secrets: Vec<String>,
}

pub struct FakeDa {
    pub addr: SocketAddr,
    pub inner: Arc<Mutex<Inner>>,
}

type Shared = Arc<Mutex<Inner>>;

impl FakeDa {
    pub async fn start(seed: u64) -> FakeDa {
        let inner = Arc::new(Mutex::new(Inner {
            donations: Vec::new(),
            next_id: 164_405_000,
            per_page: 30,
            oldest_first: false,
            valid_access: HashSet::new(),
            valid_refresh: HashSet::new(),
            socket_tokens: HashSet::new(),
            channel_tokens: HashMap::new(),
            auth_codes: HashMap::new(),
            requests: Vec::new(),
            scripted: VecDeque::new(),
            random_fault_rate: 0.0,
            rng: StdRng::seed_from_u64(seed),
            sockets: Vec::new(),
            connections: 0,
            close_after_subscribe: None,
            app_pings: 0,
            pongs: 0,
            seq: 0,
            counter: 0,
            secrets: vec![CLIENT_SECRET.to_string()],
        }));
        let app = Router::new()
            .route("/api/v1/user/oauth", get(user_oauth))
            .route("/api/v1/centrifuge/subscribe", post(centrifuge_subscribe))
            .route("/api/v1/alerts/donations", get(donations))
            .route("/oauth/token", post(token))
            .route("/connection/websocket", get(websocket))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Like a real server: no Nagle delay on small frames.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeDa { addr, inner }
    }

    pub fn ws_url(&self) -> String {
        // The original documented an https:// URL; the client rewrites http:// to ws:// the same way.
        format!("http://{}/connection/websocket", self.addr)
    }
    pub fn api_base(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }
    pub fn oauth_base(&self) -> String {
        format!("http://{}/oauth", self.addr)
    }

    /// The service's settings that point it at this fake, with `access` as the token.
    pub fn service_env(&self, access: &str) -> Vec<(&'static str, String)> {
        vec![
            ("DA_WS_URL", self.ws_url()),
            ("DA_API_BASE", self.api_base()),
            ("DA_OAUTH_BASE", self.oauth_base()),
            ("DA_ACCESS_TOKEN", access.to_owned()),
        ]
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    /// Issues an access + refresh token pair as `/oauth/token` would.
    pub fn issue_tokens(&self) -> (String, String) {
        let mut g = self.lock();
        issue(&mut g)
    }

    pub fn revoke_access(&self, access: &str) {
        self.lock().valid_access.remove(access);
    }
    pub fn revoke_all(&self) {
        let mut g = self.lock();
        g.valid_access.clear();
        g.valid_refresh.clear();
    }

    /// Adds a donation (as a viewer paying) and pushes it to every subscribed socket.
    /// Returns its id.
    pub fn donate(&self) -> i64 {
        let mut g = self.lock();
        let n = g.counter;
        g.counter += 1;
        let id = g.next_id;
        g.next_id += 1;
        // Shape of the real WS donation object (fixture da_ws_publication.json), varied a little.
        let mut d = fixture("da_ws_publication.json")["result"]["data"]["data"].clone();
        d["id"] = json!(id);
        d["username"] = if n % 5 == 4 { Value::Null } else { json!(format!("viewer{n}")) };
        d["message"] = json!(format!("draw a cat number {n}\r\n"));
        d["message_type"] = json!(if n % 7 == 6 { "audio" } else { "text" });
        d["amount"] = if n.is_multiple_of(3) { json!(1.5) } else { json!(100 + n) };
        d["currency"] = json!(["USD", "RUB", "UAH"][(n % 3) as usize]);
        d["recipient"]["user_id"] = json!(USER_ID);
        self.add_locked(&mut g, d);
        id
    }

    /// Adds a donation object as given (its id must be above every earlier one).
    pub fn donate_raw(&self, d: Value) -> i64 {
        let mut g = self.lock();
        let id = d["id"].as_i64().unwrap();
        g.next_id = g.next_id.max(id + 1);
        self.add_locked(&mut g, d);
        id
    }

    /// Donations that exist before the client ever starts (nobody is subscribed).
    pub fn history(&self, n: usize) -> Vec<i64> {
        (0..n).map(|_| self.donate()).collect()
    }

    fn add_locked(&self, g: &mut Inner, d: Value) {
        g.seq += 1;
        let frame = json!({"result": {"channel": channel(), "data": {"seq": g.seq, "data": d}}});
        g.donations.push(d);
        let text = format!("{frame}\n");
        g.sockets.retain(|s| s.send(WsCmd::Push(text.clone())).is_ok());
    }

    /// Sends a command to every open socket.
    pub fn socket_cmd(&self, cmd: WsCmd) {
        self.lock().sockets.retain(|s| s.send(cmd.clone()).is_ok());
    }

    pub fn script(&self, path: &str, fault: HttpFault) {
        self.lock().scripted.push_back((path.to_string(), fault));
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.lock().requests.clone()
    }

    pub fn count(&self, prefix: &str) -> usize {
        self.lock().requests.iter().filter(|r| r.what.starts_with(prefix)).count()
    }

    pub fn subscribed_sockets(&self) -> usize {
        self.lock().sockets.iter().filter(|s| !s.is_closed()).count()
    }
}

fn random_hex(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap()).collect()
}

fn issue(g: &mut Inner) -> (String, String) {
    let access = format!("eyJ0eXAi.{}", random_hex(&mut g.rng, 24));
    let refresh = format!("def50200{}", random_hex(&mut g.rng, 24));
    g.valid_access.insert(access.clone());
    g.valid_refresh.insert(refresh.clone());
    g.secrets.push(access.clone());
    g.secrets.push(refresh.clone());
    (access, refresh)
}

/// Logs the request and returns a fault response if one is due.
fn gate(s: &Shared, what: &str) -> Option<Response> {
    let mut g = s.lock().unwrap();
    let mut fault = None;
    if let Some(pos) = g.scripted.iter().position(|(p, _)| what.starts_with(p.as_str())) {
        fault = g.scripted.remove(pos).map(|(_, f)| f);
    } else if g.random_fault_rate > 0.0 {
        let rate = g.random_fault_rate;
        if g.rng.random_bool(rate) {
            fault = Some(if g.rng.random_bool(0.5) {
                HttpFault::TooMany(Some("0".into()))
            } else {
                HttpFault::Status(500)
            });
        }
    }
    let response = fault.map(|f| match f {
        HttpFault::TooMany(retry) => {
            let mut r = (StatusCode::TOO_MANY_REQUESTS, Json(json!({"message": "Too Many Attempts."}))).into_response();
            if let Some(v) = retry {
                r.headers_mut().insert("retry-after", v.parse().unwrap());
            }
            r
        }
        HttpFault::Status(code) => {
            (StatusCode::from_u16(code).unwrap(), Json(json!({"message": "Server Error"}))).into_response()
        }
    });
    let status = response.as_ref().map_or(0, |r| r.status().as_u16());
    g.requests.push(Logged { at: Instant::now(), what: what.to_string(), status });
    response
}

fn authorized(s: &Shared, headers: &HeaderMap) -> bool {
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    token.is_some_and(|t| s.lock().unwrap().valid_access.contains(t))
}

fn unauthenticated() -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({"message": "Unauthenticated."}))).into_response()
}

async fn user_oauth(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(r) = gate(&s, "GET /user/oauth") {
        return r;
    }
    if !authorized(&s, &headers) {
        return unauthenticated();
    }
    let mut body = fixture("da_user_oauth.json");
    let mut g = s.lock().unwrap();
    let socket_token = format!("yeJ0eXTY.{}", random_hex(&mut g.rng, 24));
    g.socket_tokens.insert(socket_token.clone());
    g.secrets.push(socket_token.clone());
    body["data"]["id"] = json!(USER_ID);
    body["data"]["socket_connection_token"] = json!(socket_token);
    Json(body).into_response()
}

async fn centrifuge_subscribe(State(s): State<Shared>, headers: HeaderMap, Json(req): Json<Value>) -> Response {
    if let Some(r) = gate(&s, "POST /centrifuge/subscribe") {
        return r;
    }
    if !authorized(&s, &headers) {
        return unauthenticated();
    }
    // Request shape of da_centrifuge_subscribe_request.json.
    let client = req["client"].as_str().unwrap_or_default().to_string();
    let channels: Vec<String> = req["channels"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let mut g = s.lock().unwrap();
    let mut out = Vec::new();
    for ch in channels.iter().filter(|c| **c == channel()) {
        let token = format!("chan.{}", random_hex(&mut g.rng, 24));
        g.secrets.push(token.clone());
        g.channel_tokens.insert(client.clone(), token.clone());
        out.push(json!({"channel": ch, "token": token}));
    }
    // Response shape of da_centrifuge_subscribe_response.json: a LIST.
    Json(json!({ "channels": out })).into_response()
}

async fn donations(State(s): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    if let Some(r) = gate(&s, &format!("GET /alerts/donations?page={page}")) {
        return r;
    }
    if !authorized(&s, &headers) {
        return unauthenticated();
    }
    let g = s.lock().unwrap();
    let per_page = g.per_page;
    let total = g.donations.len();
    let last_page = total.div_ceil(per_page).max(1);
    let newest_first: Vec<&Value> =
        if g.oldest_first { g.donations.iter().collect() } else { g.donations.iter().rev().collect() };
    let start = (page - 1) * per_page;
    let template = fixture("da_alerts_donations_page.json");
    // REST items use the documented item shape (da_alerts_donations_page.json): the doc's keys only,
    // no message_type for text, none of the WS extras.
    let items: Vec<Value> = newest_first
        .iter()
        .skip(start)
        .take(per_page)
        .map(|d| {
            let mut item = template["data"][0].clone();
            for key in ["id", "username", "message", "amount", "currency", "created_at"] {
                item[key] = d[key].clone();
            }
            if d["message_type"] == "audio" {
                item["message_type"] = json!("audio");
            }
            item
        })
        .collect();
    let base = format!("http://{}/api/v1/alerts/donations", "127.0.0.1");
    let link = |p: usize| json!(format!("{base}?page={p}"));
    let mut body = template;
    body["data"] = json!(items);
    body["links"] = json!({
        "first": link(1),
        "last": link(last_page),
        "prev": if page > 1 { link(page - 1) } else { Value::Null },
        "next": if page < last_page { link(page + 1) } else { Value::Null },
    });
    body["meta"]["current_page"] = json!(page);
    body["meta"]["from"] = if items.is_empty() { Value::Null } else { json!(start + 1) };
    body["meta"]["to"] = if items.is_empty() { Value::Null } else { json!(start + items.len()) };
    body["meta"]["last_page"] = json!(last_page);
    body["meta"]["per_page"] = json!(per_page);
    body["meta"]["total"] = json!(total);
    body["meta"]["path"] = json!(base);
    Json(body).into_response()
}

async fn token(State(s): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    if let Some(r) = gate(&s, &format!("POST /oauth/token {grant}")) {
        return r;
    }
    let bad = |error: &str| (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response();
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response();
    }
    let mut g = s.lock().unwrap();
    match grant.as_str() {
        "authorization_code" => {
            let code = form.get("code").cloned().unwrap_or_default();
            let redirect = form.get("redirect_uri").cloned().unwrap_or_default();
            match g.auth_codes.remove(&code) {
                Some(expected_redirect) if expected_redirect == redirect => {}
                _ => return bad("invalid_grant"),
            }
        }
        "refresh_token" => {
            let refresh = form.get("refresh_token").cloned().unwrap_or_default();
            if form.get("scope").map(String::as_str)
                != Some("oauth-user-show oauth-donation-subscribe oauth-donation-index")
            {
                return bad("invalid_scope");
            }
            if !g.valid_refresh.remove(&refresh) {
                return bad("invalid_grant");
            }
        }
        _ => return bad("unsupported_grant_type"),
    }
    let (access, refresh) = issue(&mut g);
    // Shape of da_oauth_token_response.json.
    let mut body = fixture("da_oauth_token_response.json");
    body["access_token"] = json!(access);
    body["refresh_token"] = json!(refresh);
    Json(body).into_response()
}

async fn websocket(State(s): State<Shared>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| serve_socket(socket, s))
}

async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    socket.send(Message::Text(text.into())).await.is_ok()
}

async fn recv_json(socket: &mut WebSocket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.recv()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(t.as_str()).ok(),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str, reconnect: bool) {
    let reason = json!({"reason": reason, "reconnect": reconnect}).to_string();
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}

async fn serve_socket(mut socket: WebSocket, s: Shared) {
    let conn = {
        let mut g = s.lock().unwrap();
        g.connections += 1;
        g.connections
    };
    // Step 1: the connect command {"params":{"token":…},"id":1}.
    let Some(connect) = recv_json(&mut socket).await else {
        return;
    };
    let token = connect["params"]["token"].as_str().unwrap_or_default().to_string();
    if connect["id"] != 1 || connect.get("method").is_some_and(|m| m != 0) {
        return close(&mut socket, 3003, "bad request", false).await;
    }
    if !s.lock().unwrap().socket_tokens.remove(&token) {
        return close(&mut socket, 3002, "invalid token", false).await;
    }
    // Step 2: connect reply (da_ws_connect_reply.json) with this connection's client id.
    let client = format!("d558c046-c679-43e3-a62d-{conn:012}");
    let mut reply = fixture("da_ws_connect_reply.json");
    reply["result"]["client"] = json!(client);
    if !send_text(&mut socket, format!("{reply}\n")).await {
        return;
    }
    // Step 4: subscribe {"params":{"channel":…,"token":…},"method":1,"id":2}.
    let Some(sub) = recv_json(&mut socket).await else {
        return;
    };
    let expected = s.lock().unwrap().channel_tokens.get(&client).cloned();
    let id = sub["id"].clone();
    if sub["method"] != 1
        || sub["params"]["channel"] != json!(channel())
        || expected.is_none()
        || sub["params"]["token"].as_str() != expected.as_deref()
    {
        let err = json!({"id": id, "error": {"code": 103, "message": "permission denied"}});
        let _ = send_text(&mut socket, format!("{err}\n")).await;
        return;
    }
    // Registered before the reply, as Centrifugo does: no publication falls between.
    let (tx, mut rx) = mpsc::unbounded_channel();
    s.lock().unwrap().sockets.push(tx);
    // Steps 5 and 6: subscribe reply and the join push (da_ws_join_push.json), one frame.
    let mut join = fixture("da_ws_join_push.json");
    join["result"]["channel"] = json!(channel());
    join["result"]["data"]["info"]["client"] = json!(client);
    if !send_text(&mut socket, format!("{}\n{join}\n", json!({"id": id, "result": {}}))).await {
        return;
    }
    let close_now = s.lock().unwrap().close_after_subscribe;
    if let Some((code, reconnect)) = close_now {
        return close(&mut socket, code, "normal", reconnect).await;
    }
    let mut corrupt_next = false;
    loop {
        tokio::select! {
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                    if v["method"] == 7 {
                        s.lock().unwrap().app_pings += 1;
                        // Ping reply: empty result omitted.
                        if !send_text(&mut socket, format!("{}\n", json!({"id": v["id"]}))).await {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Pong(_))) => s.lock().unwrap().pongs += 1,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            cmd = rx.recv() => match cmd {
                Some(WsCmd::Push(text)) => {
                    let text = if std::mem::take(&mut corrupt_next) { "{\"result\":{\"channel\":".to_string() } else { text };
                    if !send_text(&mut socket, text).await {
                        return;
                    }
                }
                Some(WsCmd::Close(code, reconnect)) => return close(&mut socket, code, "shutdown", reconnect).await,
                Some(WsCmd::Reset) | None => return,
                Some(WsCmd::Silence) => {
                    drop(rx);
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    return;
                }
                Some(WsCmd::Garbage) => {
                    let _ = send_text(&mut socket, "}{ not json at all".into()).await;
                    let _ = socket.send(Message::Binary(vec![0xde, 0xad, 0xbe, 0xef].into())).await;
                    let _ = send_text(&mut socket, "{\"result\":{\"type\":2,\"channel\":\"x\",\"data\":{}}}\n\n".into()).await;
                }
                Some(WsCmd::CorruptNext) => corrupt_next = true,
                Some(WsCmd::Ping) => {
                    let _ = socket.send(Message::Ping(b"ka".to_vec().into())).await;
                }
            },
        }
    }
}
