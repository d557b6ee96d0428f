//! One WebSocket session: from `/user/oauth` to the socket's end.
//!
//! Connect: `/user/oauth` (fresh socket token) → open the socket → connect command → client id →
//! `/centrifuge/subscribe` (channel token for THIS client id) → subscribe command. Then live:
//! publications go to the sink as they arrive, application pings every `ping_interval`, and the
//! session ends on a close, an error, a missing pong or `silence_timeout` without any frame.
//!
//! Ordering: right after subscribing (and whenever a donation may have been lost: a garbage
//! frame, an unreadable publication, a sink error) a REST catch-up runs beside the socket. Until it
//! has filled the gap, live publications are held and then delivered after the gap, so the journal
//! gets donations in donation order; `hold_limit` bounds that wait.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::centrifugo::{self, Incoming, CONNECT_ID, SUBSCRIBE_ID};
use crate::donation::DaDonation;
use crate::error::IntakeError;
use crate::status::IntakeStatus;
use crate::supervisor::{CatchUpTask, Shared, SupervisorState};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How a session ended.
pub(crate) enum SessionEnd {
    Shutdown,
    LoginNeeded,
    /// The socket is gone. `live_for` is how long it was subscribed (None: it never got there);
    /// `hard` when the server advised against reconnecting (back off to the maximum); `pending` is
    /// a catch-up that was still running (finished by the supervisor, never dropped half-way).
    Lost {
        live_for: Option<Duration>,
        hard: bool,
        pending: Option<CatchUpTask>,
    },
}

fn lost_early(what: &str, e: &IntakeError) -> SessionEnd {
    if e.is_login_needed() {
        return SessionEnd::LoginNeeded;
    }
    tracing::warn!(step = what, error = %e, "donationalerts: connect failed");
    SessionEnd::Lost { live_for: None, hard: false, pending: None }
}

/// Opens, subscribes and runs one socket session.
pub(crate) async fn run_session(shared: &Shared, state: &mut SupervisorState) -> SessionEnd {
    shared.set_status(IntakeStatus::Connecting);
    let tuning = &shared.cfg.tuning;

    let profile = tokio::select! {
        _ = shared.shutdown.cancelled() => return SessionEnd::Shutdown,
        r = shared.api.user_oauth() => match r {
            Ok(p) => p,
            Err(e) => return lost_early("GET /user/oauth", &e),
        },
    };
    let channel = format!("$alerts:donation_{}", profile.user_id);

    let connect = tokio::time::timeout(
        tuning.connect_timeout,
        // Nagle off: pings and the connect/subscribe commands are tiny and latency-bound.
        tokio_tungstenite::connect_async_with_config(shared.ws_url.as_str(), None, true),
    );
    let mut ws: Ws = tokio::select! {
        _ = shared.shutdown.cancelled() => return SessionEnd::Shutdown,
        r = connect => match r {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => return lost_early("open socket", &IntakeError::Socket(e.to_string())),
            Err(_) => return lost_early("open socket", &IntakeError::Socket("timed out".into())),
        },
    };

    // Connect command → client id.
    if let Err(e) = send(&mut ws, centrifugo::connect_command(&profile.socket_token), tuning.connect_timeout).await {
        return lost_early("connect command", &e);
    }
    let connect_result = match await_reply(shared, &mut ws, CONNECT_ID).await {
        Ok((r, _)) => r,
        Err(None) => return SessionEnd::Shutdown,
        Err(Some(e)) => return lost_early("connect reply", &e),
    };
    let Some(client) = connect_result.get("client").and_then(|c| c.as_str()).map(str::to_string) else {
        return lost_early("connect reply", &IntakeError::Protocol("connect reply has no client id".into()));
    };
    // A connection token with an expiry: reconnect (fresh /user/oauth) shortly before it runs out.
    let expires_at = (connect_result.get("expires").and_then(|e| e.as_bool()) == Some(true))
        .then(|| connect_result.get("ttl").and_then(|t| t.as_u64()))
        .flatten()
        .map(|ttl| Instant::now() + Duration::from_secs(ttl.saturating_sub(ttl / 10).max(1)));
    tracing::info!(user_id = profile.user_id, client = %client, "donationalerts: socket connected");

    // Channel token for this client id, read beside the socket (so its pings are answered).
    let token = {
        let fut = shared.api.channel_token(&channel, &client);
        tokio::pin!(fut);
        loop {
            tokio::select! {
                _ = shared.shutdown.cancelled() => return SessionEnd::Shutdown,
                r = &mut fut => match r {
                    Ok(t) => break t,
                    Err(e) => return lost_early("POST /centrifuge/subscribe", &e),
                },
                frame = ws.next() => match frame {
                    Some(Ok(Message::Close(_))) | None => {
                        return lost_early("POST /centrifuge/subscribe", &IntakeError::Socket("closed while subscribing".into()))
                    }
                    Some(Err(e)) => return lost_early("POST /centrifuge/subscribe", &IntakeError::Socket(e.to_string())),
                    Some(Ok(_)) => {}
                },
            }
        }
    };

    if let Err(e) = send(&mut ws, centrifugo::subscribe_command(&channel, &token), tuning.connect_timeout).await {
        return lost_early("subscribe command", &e);
    }
    let (sub_result, batched) = match await_reply(shared, &mut ws, SUBSCRIBE_ID).await {
        Ok(r) => r,
        Err(None) => return SessionEnd::Shutdown,
        Err(Some(e)) => return lost_early("subscribe reply", &e),
    };
    tracing::info!(channel = %channel, "donationalerts: subscribed");

    let mut live = Live { shared, channel, held: Vec::new(), hold_since: None, gap_pending: true, rerun: false };
    // A subscribe reply that recovered publications: treat them like pushes (held until the gap is filled).
    if let Some(pubs) = sub_result.get("publications").and_then(|p| p.as_array()) {
        for p in pubs {
            live.on_publication(p.get("data").cloned().unwrap_or_default()).await;
        }
    }
    for msg in batched {
        if let Incoming::Publication { channel, data, .. } = msg {
            if channel == live.channel {
                live.on_publication(data).await;
            }
        }
    }
    live.run(ws, state, expires_at).await
}

async fn send(ws: &mut Ws, text: String, budget: Duration) -> Result<(), IntakeError> {
    match tokio::time::timeout(budget, ws.send(Message::text(text))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(IntakeError::Socket(e.to_string())),
        Err(_) => Err(IntakeError::Socket("send timed out".into())),
    }
}

/// Reads frames until the reply to command `id`; also returns what followed it in the same frame
/// (a publication can be batched right behind the subscribe reply). `Err(None)` means shutdown.
async fn await_reply(
    shared: &Shared,
    ws: &mut Ws,
    id: u64,
) -> Result<(serde_json::Value, Vec<Incoming>), Option<IntakeError>> {
    let deadline = Instant::now() + shared.cfg.tuning.connect_timeout;
    loop {
        let frame = tokio::select! {
            _ = shared.shutdown.cancelled() => return Err(None),
            _ = tokio::time::sleep_until(deadline) => {
                return Err(Some(IntakeError::Socket(format!("no reply to command {id}"))))
            }
            f = ws.next() => f,
        };
        let text = match frame {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(c))) => {
                let detail = c.map(|c| format!("{} {}", u16::from(c.code), c.reason.as_str())).unwrap_or_default();
                return Err(Some(IntakeError::Socket(format!("closed: {detail}"))));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(Some(IntakeError::Socket(e.to_string()))),
            None => return Err(Some(IntakeError::Socket("closed".into()))),
        };
        let mut messages = centrifugo::parse_frame(text.as_str()).into_iter();
        while let Some(msg) = messages.next() {
            match msg {
                Incoming::Reply { id: got, result, error } if got == id => {
                    return match error {
                        // 105 "already subscribed" is success for our purpose.
                        Some(e) if e.code != 105 => {
                            Err(Some(IntakeError::Protocol(format!("command {id} refused: {} {}", e.code, e.message))))
                        }
                        _ => Ok((result, messages.collect())),
                    };
                }
                other => tracing::debug!(?other, "donationalerts: frame before reply ignored"),
            }
        }
    }
}

/// The subscribed part of a session.
struct Live<'a> {
    shared: &'a Shared,
    channel: String,
    /// Live publications waiting for a gap to be filled (donation order).
    held: Vec<DaDonation>,
    hold_since: Option<Instant>,
    /// A catch-up must succeed before live publications flow straight to the sink.
    gap_pending: bool,
    /// Another catch-up was asked for while one was running.
    rerun: bool,
}

impl Live<'_> {
    /// Publishes `data` (a donation object) or holds it while a gap is pending.
    async fn on_publication(&mut self, data: serde_json::Value) {
        match DaDonation::from_value(data) {
            Ok(d) => {
                tracing::debug!(id = d.id, "donationalerts: donation on the socket");
                if self.gap_pending {
                    self.hold_since.get_or_insert_with(Instant::now);
                    self.held.push(d);
                } else {
                    self.deliver(d).await;
                }
            }
            Err(reason) => {
                tracing::warn!(reason, "donationalerts: unreadable publication; catching up");
                self.suspect_loss();
            }
        }
    }

    async fn deliver(&mut self, d: DaDonation) {
        let id = d.id;
        if let Err(e) = self.shared.sink.deliver(d).await {
            // Not lost: it is above the watermark, so the next catch-up delivers it again.
            tracing::warn!(id, error = %e, "donationalerts: sink refused a live donation; catching up later");
            self.suspect_loss();
        }
    }

    /// Something may have been lost: hold live publications and catch up.
    fn suspect_loss(&mut self) {
        self.gap_pending = true;
        self.rerun = true;
    }

    /// Delivers what was held, oldest first, skipping what the catch-up already delivered.
    async fn flush(&mut self, already: &HashSet<i64>) {
        let mut held = std::mem::take(&mut self.held);
        self.hold_since = None;
        held.sort_by_key(|d| d.id);
        held.dedup_by_key(|d| d.id);
        for d in held {
            if !already.contains(&d.id) {
                self.deliver(d).await;
            }
        }
    }

    async fn run(mut self, mut ws: Ws, state: &mut SupervisorState, expires_at: Option<Instant>) -> SessionEnd {
        let shared = self.shared;
        let t = &shared.cfg.tuning;
        let live_since = Instant::now();
        let far = || Instant::now() + Duration::from_secs(86_400 * 365);
        let mut last_frame = Instant::now();
        let mut next_ping = Instant::now() + t.ping_interval;
        let mut ping_id = SUBSCRIBE_ID;
        let mut awaiting_pong: Option<(u64, Instant)> = None;
        state.last_catchup_attempt = Some(Instant::now());
        let mut catchup = Some(shared.catch_up_task());
        let mut next_catchup = far();
        let mut catchup_failures = 0u32;
        shared.set_status(IntakeStatus::CatchingUp);

        let hard = 'session: loop {
            let pong_deadline = awaiting_pong.map_or_else(far, |(_, sent)| sent + t.pong_timeout);
            let hold_deadline = match (self.gap_pending, self.hold_since) {
                (true, Some(since)) => since + t.hold_limit,
                _ => far(),
            };
            tokio::select! {
                _ = shared.shutdown.cancelled() => {
                    let _ = tokio::time::timeout(Duration::from_millis(500), ws.close(None)).await;
                    return SessionEnd::Shutdown;
                }
                frame = ws.next() => {
                    last_frame = Instant::now();
                    match frame {
                        Some(Ok(Message::Text(text))) => {
                            for msg in centrifugo::parse_frame(text.as_str()) {
                                match msg {
                                    Incoming::Reply { id, .. } if awaiting_pong.is_some_and(|(p, _)| p == id) => {
                                        awaiting_pong = None;
                                    }
                                    Incoming::Reply { id, error, .. } => {
                                        tracing::debug!(id, error = ?error, "donationalerts: reply ignored");
                                    }
                                    Incoming::Publication { channel, seq, data } if channel == self.channel => {
                                        tracing::trace!(?seq, "donationalerts: publication");
                                        self.on_publication(data).await;
                                    }
                                    Incoming::Publication { .. } => {}
                                    Incoming::Unsubscribed { channel } if channel == self.channel => {
                                        tracing::warn!("donationalerts: server dropped the subscription; reconnecting");
                                        break 'session false;
                                    }
                                    Incoming::Unsubscribed { .. } | Incoming::OtherPush { .. } => {}
                                    Incoming::Garbage { reason } => {
                                        tracing::warn!(reason, "donationalerts: unreadable frame; catching up");
                                        self.suspect_loss();
                                    }
                                }
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            tracing::warn!("donationalerts: unexpected binary frame; catching up");
                            self.suspect_loss();
                        }
                        Some(Ok(Message::Close(frame))) => {
                            let (code, reason) = frame
                                .map(|f| (u16::from(f.code), f.reason.as_str().to_string()))
                                .unwrap_or((1005, String::new()));
                            let (advice, reconnect) = centrifugo::close_advice(&reason)
                                .unwrap_or_else(|| (reason.chars().take(80).collect(), true));
                            tracing::warn!(code, reason = %advice, reconnect, "donationalerts: socket closed by the server");
                            break 'session !reconnect;
                        }
                        Some(Ok(_)) => {} // pings are answered by tungstenite while we read
                        Some(Err(e)) => {
                            tracing::warn!(error = %e, "donationalerts: socket error");
                            break 'session false;
                        }
                        None => {
                            tracing::warn!("donationalerts: socket ended");
                            break 'session false;
                        }
                    }
                }
                _ = tokio::time::sleep_until(next_ping), if awaiting_pong.is_none() => {
                    ping_id += 1;
                    if let Err(e) = send(&mut ws, centrifugo::ping_command(ping_id), t.pong_timeout).await {
                        tracing::warn!(error = %e, "donationalerts: ping failed");
                        break 'session false;
                    }
                    awaiting_pong = Some((ping_id, Instant::now()));
                    next_ping = Instant::now() + t.ping_interval;
                }
                _ = tokio::time::sleep_until(pong_deadline) => {
                    tracing::warn!("donationalerts: no reply to ping; reconnecting");
                    break 'session false;
                }
                _ = tokio::time::sleep_until(last_frame + t.silence_timeout) => {
                    tracing::warn!("donationalerts: socket silent; reconnecting");
                    break 'session false;
                }
                _ = tokio::time::sleep_until(expires_at.unwrap_or_else(far)) => {
                    tracing::info!("donationalerts: connection token about to expire; reconnecting");
                    break 'session false;
                }
                result = async { match catchup.as_mut() { Some(f) => f.await, None => std::future::pending().await } } => {
                    catchup = None;
                    match result {
                        Ok(report) => {
                            catchup_failures = 0;
                            tracing::debug!(delivered = report.delivered.len(), watermark = report.watermark, pages = report.pages, "donationalerts: catch-up done");
                            if self.rerun {
                                // Another loss was suspected meanwhile: keep holding, catch up again.
                                self.rerun = false;
                                next_catchup = Instant::now();
                            } else {
                                self.gap_pending = false;
                                let already: HashSet<i64> = report.delivered.into_iter().collect();
                                self.flush(&already).await;
                                next_catchup = Instant::now() + shared.cfg.safety_net_interval;
                            }
                        }
                        Err(IntakeError::LoginNeeded) => return SessionEnd::LoginNeeded,
                        Err(e) => {
                            // Doubling retry, at most every poll_interval: no storm while DA's REST is down.
                            let retry = t
                                .catchup_retry
                                .saturating_mul(1 << catchup_failures.min(16))
                                .min(shared.cfg.poll_interval.max(t.catchup_retry));
                            catchup_failures += 1;
                            tracing::warn!(error = %e, retry_ms = retry.as_millis() as u64, "donationalerts: catch-up failed; retrying");
                            self.rerun = false;
                            next_catchup = Instant::now() + retry;
                        }
                    }
                    if !self.gap_pending {
                        shared.set_status(IntakeStatus::Live);
                    }
                }
                _ = tokio::time::sleep_until(next_catchup), if catchup.is_none() => {
                    state.last_catchup_attempt = Some(Instant::now());
                    catchup = Some(shared.catch_up_task());
                    next_catchup = far();
                    if self.gap_pending {
                        shared.set_status(IntakeStatus::CatchingUp);
                    }
                }
                _ = tokio::time::sleep_until(hold_deadline) => {
                    tracing::warn!(held = self.held.len(), "donationalerts: gap not filled in time; delivering live donations out of order");
                    self.gap_pending = false;
                    self.flush(&HashSet::new()).await;
                    shared.set_status(IntakeStatus::Live);
                }
            }
            // A loss suspected while no catch-up runs: start one now.
            if self.rerun && catchup.is_none() {
                self.rerun = false;
                next_catchup = Instant::now();
            }
        };
        // A catch-up in flight is not dropped with the socket: the supervisor finishes it.
        SessionEnd::Lost { live_for: Some(live_since.elapsed()), hard, pending: catchup }
    }
}

#[cfg(test)]
mod tests {
    /// `wss://` goes through rustls with the system roots; building the TLS config must not panic
    /// (e.g. over a missing crypto provider). The peer here is not TLS, so the handshake fails.
    #[tokio::test]
    async fn wss_urls_get_a_tls_handshake() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                use tokio::io::AsyncWriteExt;
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            }
        });
        let url = format!("wss://localhost:{port}/connection/websocket");
        let r = tokio_tungstenite::connect_async_with_config(url, None, true).await;
        match r {
            Ok(_) => panic!("a plain-TCP peer cannot complete TLS"),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}
