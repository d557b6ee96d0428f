//! One EventSub session chain: a fresh socket, its welcome, the two subscriptions, the catch-up,
//! then live notifications — across any number of `session_reconnect` hand-overs.
//!
//! Every socket has its own reader task (so WebSocket pings are always answered) that forwards
//! frames, tagged with the socket's generation, into one channel. On `session_reconnect` the new
//! socket is opened beside the old one; both feed the same dedupe until the new welcome arrives,
//! then the old one is closed (its last frames are still read until the close handshake ends).
//! We never send a data frame: only our own Close.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use crate::api::ApiError;
use crate::eventsub::{self, Frame, CHEER_TYPE, REDEMPTION_TYPE, REDEMPTION_UPDATE_TYPE};
use crate::supervisor::Ctl;
use crate::Twitch;
use source::Status;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How a session chain ended.
pub(crate) enum SessionEnd {
    Shutdown,
    LoginNeeded,
    /// The socket is gone; `live_for`: how long it was subscribed; `hard`: back off to the maximum.
    Lost {
        live_for: Option<Duration>,
        hard: bool,
    },
}

enum SockEvent {
    Text(String),
    Closed { code: Option<u16>, reason: String },
}

/// One socket's reader task; dropping it stops the task (and closes the socket).
struct Sock {
    gen: u64,
    stop: CancellationToken,
}

impl Drop for Sock {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn connect(url: &str, budget: Duration) -> Result<Ws, String> {
    match tokio::time::timeout(budget, tokio_tungstenite::connect_async_with_config(url, None, true)).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

fn spawn_reader(gen: u64, mut ws: Ws, tx: mpsc::UnboundedSender<(u64, SockEvent)>) -> Sock {
    let stop = CancellationToken::new();
    let stopped = stop.clone();
    tokio::spawn(async move {
        let closed = |code, reason| SockEvent::Closed { code, reason };
        loop {
            tokio::select! {
                _ = stopped.cancelled() => {
                    // Our Close, then read what the server sent before its own Close.
                    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                    let drain = async {
                        while let Some(Ok(m)) = ws.next().await {
                            if let Message::Text(t) = m {
                                let _ = tx.send((gen, SockEvent::Text(t.as_str().to_string())));
                            }
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
                    let _ = tx.send((gen, closed(Some(1000), "closed by us".into())));
                    return;
                }
                m = ws.next() => match m {
                    Some(Ok(Message::Text(t))) => {
                        let _ = tx.send((gen, SockEvent::Text(t.as_str().to_string())));
                    }
                    Some(Ok(Message::Close(f))) => {
                        let (code, reason) = f.map(|f| (Some(u16::from(f.code)), f.reason.as_str().to_string())).unwrap_or((None, String::new()));
                        let _ = tx.send((gen, closed(code, reason)));
                        return;
                    }
                    Some(Ok(_)) => {} // pings are answered by tungstenite; binary is not EventSub's
                    Some(Err(e)) => {
                        let _ = tx.send((gen, closed(None, e.to_string())));
                        return;
                    }
                    None => {
                        let _ = tx.send((gen, closed(None, "connection closed".into())));
                        return;
                    }
                },
            }
        }
    });
    Sock { gen, stop }
}

/// The base URL with `keepalive_timeout_seconds` (only on fresh connections: a reconnect URL is used as is).
fn fresh_url(base: &str, keepalive: u64) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}keepalive_timeout_seconds={}", keepalive.clamp(10, 600))
}

/// What each close code means for us (§A.9): (log line, back off to the maximum).
fn close_advice(code: Option<u16>) -> (&'static str, bool) {
    match code {
        Some(4000) => ("Twitch internal server error", false),
        Some(4001) => ("we sent a data frame (a bug in Draw Stream)", false),
        Some(4002) => ("ping/pong failed (our read loop stalled)", false),
        Some(4003) => ("connection unused: the subscriptions did not arrive in time", true),
        Some(4004) => ("reconnect grace time expired", false),
        Some(4005) => ("network timeout", false),
        Some(4006) => ("network error", false),
        Some(4007) => ("invalid reconnect URL; starting a fresh session", false),
        _ => ("socket closed", false),
    }
}

/// Subscribes this session to our events (concurrently: the welcome window is short): cheers, and
/// for our reward its redemptions and their updates (a moderator's refund in the reward queue).
async fn subscribe(tw: &Twitch, session_id: &str) -> Result<(), ApiError> {
    let (broadcaster, reward) = tw.ids();
    let broadcaster = broadcaster.unwrap_or_default();
    let cheer = tw.api.subscribe(CHEER_TYPE, json!({"broadcaster_user_id": broadcaster}), session_id);
    let of_reward = |kind: &'static str| {
        let condition = reward.as_ref().map(|r| json!({"broadcaster_user_id": broadcaster, "reward_id": r}));
        async move {
            match condition {
                Some(c) => tw.api.subscribe(kind, c, session_id).await,
                None => Ok(()),
            }
        }
    };
    let (a, b, c) = tokio::join!(cheer, of_reward(REDEMPTION_TYPE), of_reward(REDEMPTION_UPDATE_TYPE));
    a.and(b).and(c)
}

/// Queues every UNFULFILLED redemption of our reward for delivery, oldest first (Helix pages).
pub(crate) async fn catch_up(tw: &Twitch, ctl: &Ctl) -> Result<(), ApiError> {
    let (Some(broadcaster), Some(reward)) = tw.ids() else {
        return Ok(());
    };
    let mut after: Option<String> = None;
    let mut delivered = 0usize;
    for _page in 0..200 {
        let (items, cursor) = tw.api.unfulfilled_page(&broadcaster, &reward, after.as_deref()).await?;
        for item in &items {
            if let Some(inc) = eventsub::redemption(item, &reward) {
                ctl.enqueue(inc);
                delivered += 1;
            }
        }
        match cursor {
            Some(c) if !items.is_empty() => after = Some(c),
            _ => break,
        }
    }
    tracing::info!(queued = delivered, "twitch: catch-up of unfulfilled redemptions done");
    Ok(())
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

/// Opens a fresh session and runs it (and its reconnect hand-overs) until it is lost.
/// `seen` outlives the session: Twitch may redeliver a message id on the next socket too.
pub(crate) async fn run_session(tw: &Twitch, ctl: &Ctl, seen: &mut source::RecentIds) -> SessionEnd {
    let t = &tw.api.cfg.tuning;
    let url = fresh_url(&tw.api.cfg.eventsub_ws_url, t.keepalive_request_secs);
    let ws = tokio::select! {
        _ = ctl.shutdown.cancelled() => return SessionEnd::Shutdown,
        r = connect(&url, t.connect_timeout) => match r {
            Ok(ws) => ws,
            Err(e) => {
                tracing::warn!(error = %e, "twitch: cannot open the EventSub socket");
                return SessionEnd::Lost { live_for: None, hard: false };
            }
        },
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut next_gen = 1u64;
    let mut current = spawn_reader(next_gen, ws, tx.clone());
    let mut pending: Option<Sock> = None;
    let mut old: Vec<Sock> = Vec::new();
    let mut opening: Option<JoinHandle<Result<Ws, String>>> = None;
    let mut session_id: Option<String> = None;
    let mut keepalive = Duration::from_secs(t.keepalive_request_secs);
    let mut watchdog = Instant::now() + t.connect_timeout;
    let mut validate_at = Instant::now() + t.validate_interval;
    let mut catchup_at: Option<Instant> = None;
    // After the first catch-up of a session, later ones (the safety net) do not show "catching up".
    let mut caught_up = false;
    let mut live_since: Option<Instant> = None;
    let lost = |live_since: Option<Instant>, hard| SessionEnd::Lost { live_for: live_since.map(|s| s.elapsed()), hard };

    loop {
        tokio::select! {
            biased;
            _ = ctl.shutdown.cancelled() => return SessionEnd::Shutdown,
            Some((gen, ev)) = rx.recv() => {
                let is_current = gen == current.gen;
                let is_pending = pending.as_ref().is_some_and(|p| p.gen == gen);
                if !is_current && !is_pending && !old.iter().any(|o| o.gen == gen) {
                    continue;
                }
                let text = match ev {
                    SockEvent::Text(text) => text,
                    SockEvent::Closed { code, reason } => {
                        if is_current {
                            let (advice, hard) = close_advice(code);
                            if code == Some(4001) {
                                tracing::error!(?code, reason = %reason, "twitch: EventSub closed the socket: {advice}");
                            } else {
                                tracing::warn!(?code, reason = %reason, "twitch: EventSub socket lost: {advice}");
                            }
                            return lost(live_since, hard);
                        }
                        if is_pending {
                            tracing::warn!(?code, reason = %reason, "twitch: the reconnect socket failed; staying on the old one");
                            pending = None;
                        } else {
                            old.retain(|o| o.gen != gen);
                        }
                        continue;
                    }
                };
                if is_current {
                    watchdog = Instant::now() + keepalive + t.keepalive_margin;
                }
                match eventsub::parse(&text) {
                    Frame::Welcome { session_id: id, keepalive_secs } => {
                        if let Some(k) = keepalive_secs {
                            keepalive = Duration::from_secs(k.max(1));
                        }
                        if is_pending {
                            // Hand-over complete: the subscriptions came along; close the old socket.
                            tracing::info!(session = %id, "twitch: reconnected to the new EventSub socket");
                            if let Some(p) = pending.take() {
                                let previous = std::mem::replace(&mut current, p);
                                previous.stop.cancel();
                                old.push(previous);
                            }
                            session_id = Some(id);
                            watchdog = Instant::now() + keepalive + t.keepalive_margin;
                            continue;
                        }
                        if !is_current || session_id.is_some() {
                            continue;
                        }
                        watchdog = Instant::now() + keepalive + t.keepalive_margin;
                        tracing::info!(session = %id, keepalive_s = keepalive.as_secs(), "twitch: EventSub session open");
                        let r = tokio::select! {
                            _ = ctl.shutdown.cancelled() => return SessionEnd::Shutdown,
                            r = subscribe(tw, &id) => r,
                        };
                        match r {
                            Ok(()) => {}
                            Err(ApiError::LoginNeeded(m)) => {
                                tracing::warn!(reason = %m, "twitch: subscribing refused the token");
                                return SessionEnd::LoginNeeded;
                            }
                            Err(ApiError::Http { status: 403, message }) => {
                                tracing::error!(twitch = %message, "twitch: subscribing refused (missing scopes?); run `draw-stream login twitch`");
                                return SessionEnd::LoginNeeded;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "twitch: subscribing failed");
                                return lost(None, false);
                            }
                        }
                        session_id = Some(id);
                        live_since = Some(Instant::now());
                        tracing::info!("twitch: subscribed to redemptions and cheers");
                        catchup_at = Some(Instant::now());
                    }
                    Frame::Keepalive => {}
                    Frame::Notification { message_id, kind, event } => {
                        if !seen.insert(&message_id) {
                            tracing::debug!(message_id = %message_id, "twitch: duplicate notification dropped");
                            continue;
                        }
                        let incoming = match kind.as_str() {
                            REDEMPTION_TYPE => match tw.ids().1 {
                                Some(reward) => eventsub::redemption(&event, &reward),
                                None => None,
                            },
                            CHEER_TYPE => {
                                let cfg = &tw.api.cfg;
                                let inc = eventsub::cheer(&event, &message_id, cfg.min_bits, cfg.bits_value);
                                if inc.is_none() {
                                    tracing::info!(bits = event.get("bits").and_then(|b| b.as_u64()), "twitch: cheer below TWITCH_MIN_BITS or without text; not drawn");
                                }
                                inc
                            }
                            REDEMPTION_UPDATE_TYPE => {
                                if let Some(id) = tw.ids().1.and_then(|r| eventsub::canceled_redemption(&event, &r)) {
                                    ctl.withdraw(id);
                                }
                                None
                            }
                            other => {
                                tracing::debug!(kind = other, "twitch: notification of another type ignored");
                                None
                            }
                        };
                        if let Some(inc) = incoming {
                            ctl.enqueue(inc);
                        }
                    }
                    Frame::Reconnect { url } => {
                        if !is_current {
                            continue;
                        }
                        if url.is_empty() {
                            tracing::warn!("twitch: session_reconnect without a URL; starting a fresh session");
                            return lost(live_since, false);
                        }
                        tracing::info!("twitch: EventSub asked us to reconnect; opening the new socket beside the old one");
                        let budget = t.connect_timeout;
                        opening = Some(tokio::spawn(async move { connect(&url, budget).await }));
                    }
                    Frame::Revocation { kind, status } => match status.as_str() {
                        "authorization_revoked" | "user_removed" => {
                            tracing::error!(kind = %kind, status = %status, "twitch: subscription revoked; login needed");
                            return SessionEnd::LoginNeeded;
                        }
                        _ => {
                            tracing::warn!(kind = %kind, status = %status, "twitch: subscription revoked; resubscribing on a fresh session");
                            return lost(live_since, false);
                        }
                    },
                    Frame::Other(kind) => tracing::debug!(kind = %kind, "twitch: unknown EventSub message ignored"),
                    Frame::Garbage(reason) => tracing::warn!(reason = %reason, "twitch: unreadable EventSub frame ignored"),
                }
            }
            r = async { match opening.as_mut() { Some(h) => h.await, None => std::future::pending().await } } => {
                opening = None;
                match r {
                    Ok(Ok(ws)) => {
                        next_gen += 1;
                        pending = Some(spawn_reader(next_gen, ws, tx.clone()));
                    }
                    Ok(Err(e)) => tracing::warn!(error = %e, "twitch: cannot open the reconnect socket; staying on the old one"),
                    Err(e) => tracing::warn!(error = %e, "twitch: reconnect task failed"),
                }
            }
            _ = tokio::time::sleep_until(watchdog) => {
                tracing::warn!(silent_ms = (keepalive + t.keepalive_margin).as_millis() as u64, "twitch: no keepalive from EventSub; reconnecting");
                return lost(live_since, false);
            }
            _ = tokio::time::sleep_until(validate_at) => {
                validate_at = Instant::now() + t.validate_interval;
                let r = tokio::select! {
                    _ = ctl.shutdown.cancelled() => return SessionEnd::Shutdown,
                    r = tw.api.validate() => r,
                };
                match r {
                    Ok(_) => tracing::debug!("twitch: hourly token validation ok"),
                    Err(ApiError::LoginNeeded(m)) => {
                        tracing::warn!(reason = %m, "twitch: hourly validation refused the token");
                        return SessionEnd::LoginNeeded;
                    }
                    Err(e) => tracing::warn!(error = %e, "twitch: hourly token validation failed; trying again later"),
                }
            }
            _ = tokio::time::sleep_until(catchup_at.unwrap_or_else(far)), if catchup_at.is_some() => {
                if !caught_up {
                    ctl.set_status(Status::CatchingUp);
                }
                let r = tokio::select! {
                    _ = ctl.shutdown.cancelled() => return SessionEnd::Shutdown,
                    r = catch_up(tw, ctl) => r,
                };
                match r {
                    Ok(()) => {
                        caught_up = true;
                        ctl.set_status(tw.live_status());
                        catchup_at = Some(Instant::now() + t.catchup_interval);
                    }
                    Err(ApiError::LoginNeeded(m)) => {
                        tracing::warn!(reason = %m, "twitch: catch-up refused the token");
                        return SessionEnd::LoginNeeded;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "twitch: catch-up failed; retrying");
                        catchup_at = Some(Instant::now() + t.catchup_retry);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_urls_ask_for_a_keepalive() {
        assert_eq!(fresh_url("wss://e.example/ws", 30), "wss://e.example/ws?keepalive_timeout_seconds=30");
        assert_eq!(fresh_url("ws://h/ws?x=1", 5), "ws://h/ws?x=1&keepalive_timeout_seconds=10");
        assert!(close_advice(Some(4003)).1);
        assert!(!close_advice(Some(4000)).1);
    }
}
