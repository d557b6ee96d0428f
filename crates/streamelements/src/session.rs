//! One Astro socket session: open (fresh, or resumed with a reconnect token), `welcome`, subscribe
//! (fresh only), then live: tips go to the sink as they arrive, a REST catch-up runs beside the
//! socket right after subscribing and then as a slow safety net, and the session ends on a close,
//! an error, a `reconnect` frame, or `silence_timeout` without any frame (WebSocket pings count).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use source::Status;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::api::{retry_after, ApiError};
use crate::astro::{self, Frame, Refusal, TOPIC_MODERATION, TOPIC_TIPS};
use crate::catchup::deliver;
use crate::supervisor::Shared;
use crate::tip::{parse_tip, Approval};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How to open the socket.
pub(crate) enum Mode {
    /// Connect, subscribe, catch up.
    Fresh,
    /// `?reconnect_token=`: the server restores the subscriptions.
    Resume(String),
}

/// How a session ended.
pub(crate) enum SessionEnd {
    Shutdown,
    LoginNeeded,
    /// The server asked us to move (`{"type":"reconnect"}`): resume at once with this token.
    Resume(String),
    /// The resumed socket closed before its `welcome`: connect afresh at once.
    ResumeRefused,
    /// The socket is gone. `live_for`: how long it was subscribed; `wait`: a `Retry-After`;
    /// `slow`: the server refused in a way a quick retry will not cure (back off to the maximum).
    Lost {
        live_for: Option<Duration>,
        wait: Option<Duration>,
        slow: bool,
    },
}

fn lost(step: &str, error: &dyn std::fmt::Display) -> SessionEnd {
    tracing::warn!(step, error = %error, "streamelements: connect failed");
    SessionEnd::Lost { live_for: None, wait: None, slow: false }
}

fn api_lost(step: &str, e: &ApiError) -> SessionEnd {
    match e {
        ApiError::Unauthorized(_) => SessionEnd::LoginNeeded,
        e => lost(step, e),
    }
}

fn socket_url(base: &str, resume: Option<&str>) -> String {
    match (resume, url::Url::parse(base)) {
        (Some(token), Ok(mut u)) => {
            u.query_pairs_mut().append_pair("reconnect_token", token);
            u.to_string()
        }
        _ => base.to_string(),
    }
}

/// Opens, subscribes and runs one socket session.
pub(crate) async fn run_session(
    shared: &std::sync::Arc<Shared>,
    mode: Mode,
    last_catchup: &mut Option<Instant>,
) -> SessionEnd {
    shared.set_status(Status::Connecting);
    let t = &shared.cfg.tuning;
    let token = shared.token.get();
    let channel = tokio::select! {
        _ = shared.shutdown.cancelled() => return SessionEnd::Shutdown,
        r = shared.channel(&token) => match r {
            Ok(c) => c,
            Err(e) => return api_lost("GET /channels/me", &e),
        },
    };
    let resume = match &mode {
        Mode::Resume(token) => Some(token.as_str()),
        Mode::Fresh => None,
    };
    let url = socket_url(&shared.cfg.ws_url, resume);
    // Nagle off: subscribe frames are tiny and latency-bound.
    let connect =
        tokio::time::timeout(t.connect_timeout, tokio_tungstenite::connect_async_with_config(url, None, true));
    let mut ws: Ws = tokio::select! {
        _ = shared.shutdown.cancelled() => return SessionEnd::Shutdown,
        r = connect => match r {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(tungstenite::Error::Http(resp))) => {
                let status = resp.status().as_u16();
                let wait = (status == 429).then(|| retry_after(resp.headers(), t.retry_after_default, t.retry_after_max));
                // 502: the server is draining; 429: too many connections (Retry-After).
                tracing::warn!(status, wait_ms = wait.map(|w| w.as_millis() as u64), "streamelements: socket upgrade refused");
                return SessionEnd::Lost { live_for: None, wait, slow: false };
            }
            Ok(Err(e)) => return lost("open socket", &e),
            Err(_) => return lost("open socket", &"timed out"),
        },
    };

    // Welcome first; a resumed socket that closes before it means the token was refused.
    let deadline = Instant::now() + t.connect_timeout;
    let mut early = Vec::new();
    loop {
        match next_frame(shared, &mut ws, deadline).await {
            Step::Frame(Frame::Welcome) => break,
            Step::Frame(f) => early.push(f),
            Step::Shutdown => return SessionEnd::Shutdown,
            Step::Closed(why) if resume.is_some() => {
                tracing::info!(why = %why, "streamelements: resumed socket closed before its welcome");
                return SessionEnd::ResumeRefused;
            }
            Step::Closed(why) => return lost("welcome", &why),
            Step::TimedOut => return lost("welcome", &"no welcome in time"),
        }
    }

    if resume.is_none() {
        let token_type = crate::config::TokenType::detect(&token).as_str();
        let mut waiting: Vec<(String, &str)> = Vec::new();
        for (i, topic) in [TOPIC_TIPS, TOPIC_MODERATION].into_iter().enumerate() {
            let nonce = format!("draw-stream-{}-{i}", rand::random::<u32>());
            let frame = astro::subscribe(&nonce, topic, &channel, &token, token_type);
            if let Err(e) = send(&mut ws, frame, t.connect_timeout).await {
                return lost("subscribe", &e);
            }
            waiting.push((nonce, topic));
        }
        let deadline = Instant::now() + t.connect_timeout;
        while !waiting.is_empty() {
            let frame = match next_frame(shared, &mut ws, deadline).await {
                Step::Frame(f) => f,
                Step::Shutdown => return SessionEnd::Shutdown,
                Step::Closed(why) => return lost("subscribe response", &why),
                // Only the moderation topic unanswered: go on (approvals also arrive by catch-up).
                Step::TimedOut if waiting.iter().all(|(_, topic)| *topic == TOPIC_MODERATION) => {
                    tracing::warn!("streamelements: no response for channel.tips.moderation; going on without it");
                    break;
                }
                Step::TimedOut => return lost("subscribe response", &"no response in time"),
            };
            let Frame::Response { nonce, error, message } = frame else {
                early.push(frame);
                continue;
            };
            let Some(pos) = waiting.iter().position(|(n, _)| *n == nonce) else {
                tracing::debug!(nonce = %nonce, "streamelements: response to an unknown nonce ignored");
                continue;
            };
            let (_, topic) = waiting.remove(pos);
            let Some(error) = error else {
                tracing::info!(topic, "streamelements: subscribed");
                continue;
            };
            if topic == TOPIC_MODERATION {
                // Without tips:moderation, approvals still arrive through the REST catch-up.
                tracing::warn!(topic, error = %error, message = %message, "streamelements: moderation topic refused; approvals arrive by catch-up");
                continue;
            }
            return match astro::refusal(&error) {
                Refusal::Unauthorized => {
                    tracing::warn!(error = %error, message = %message, "streamelements: subscribe refused");
                    SessionEnd::LoginNeeded
                }
                Refusal::Transient => lost("subscribe", &error),
                Refusal::Other => {
                    tracing::warn!(error = %error, message = %message, "streamelements: subscribe refused; retrying slowly");
                    SessionEnd::Lost { live_for: None, wait: None, slow: true }
                }
            };
        }
    } else {
        tracing::info!("streamelements: resumed; subscriptions restored by the server");
    }

    let mut live = Live { shared };
    for f in early {
        if let Some(end) = live.on_frame(f).await {
            return end;
        }
    }
    live.run(ws, last_catchup).await
}

enum Step {
    Frame(Frame),
    Closed(String),
    TimedOut,
    Shutdown,
}

/// The next text frame before `deadline` (pings and binary frames are skipped).
async fn next_frame(shared: &Shared, ws: &mut Ws, deadline: Instant) -> Step {
    loop {
        let msg = tokio::select! {
            _ = shared.shutdown.cancelled() => return Step::Shutdown,
            _ = tokio::time::sleep_until(deadline) => return Step::TimedOut,
            m = ws.next() => m,
        };
        match msg {
            Some(Ok(Message::Text(text))) => return Step::Frame(astro::parse(text.as_str())),
            Some(Ok(Message::Close(c))) => {
                return Step::Closed(
                    c.map(|c| format!("closed {} {}", u16::from(c.code), c.reason)).unwrap_or("closed".into()),
                )
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Step::Closed(e.to_string()),
            None => return Step::Closed("ended".into()),
        }
    }
}

async fn send(ws: &mut Ws, text: String, budget: Duration) -> Result<(), String> {
    match tokio::time::timeout(budget, ws.send(Message::text(text))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("send timed out".into()),
    }
}

struct Live<'a> {
    shared: &'a std::sync::Arc<Shared>,
}

impl Live<'_> {
    /// Handles one frame; `Some` ends the session.
    async fn on_frame(&mut self, frame: Frame) -> Option<SessionEnd> {
        match frame {
            Frame::Message { topic, data } if topic == TOPIC_TIPS || topic == TOPIC_MODERATION => {
                let tip = match parse_tip(&data) {
                    Ok(t) => t,
                    Err(reason) => {
                        tracing::warn!(reason, topic = %topic, "streamelements: unreadable tip on the socket");
                        return None;
                    }
                };
                if !tip.drawable() {
                    tracing::debug!(id = %tip.id, topic = %topic, pending = tip.approval == Approval::Pending, deleted = tip.deleted, "streamelements: tip not drawn (not allowed)");
                    return None;
                }
                tracing::debug!(id = %tip.id, topic = %topic, "streamelements: tip on the socket");
                let incoming = tip.incoming;
                if let Err(e) = deliver(self.shared, incoming.clone()).await {
                    tracing::warn!(id = %tip.id, error = %e, "streamelements: journal refused a live tip; retrying later");
                    self.shared.retry_later(incoming);
                }
                None
            }
            Frame::Message { topic, .. } => {
                tracing::debug!(topic = %topic, "streamelements: message on another topic ignored");
                None
            }
            Frame::Reconnect { token: Some(token) } => {
                tracing::info!("streamelements: server asked to reconnect; resuming");
                Some(SessionEnd::Resume(token))
            }
            Frame::Reconnect { token: None } => {
                tracing::info!("streamelements: server asked to reconnect (no token); connecting afresh");
                Some(SessionEnd::ResumeRefused)
            }
            Frame::Welcome | Frame::Response { .. } | Frame::Other { .. } => {
                tracing::debug!(?frame, "streamelements: frame ignored");
                None
            }
            Frame::Garbage => {
                tracing::warn!("streamelements: unreadable frame ignored");
                None
            }
        }
    }

    async fn run(mut self, mut ws: Ws, last_catchup: &mut Option<Instant>) -> SessionEnd {
        let shared = self.shared;
        let t = &shared.cfg.tuning;
        let live_since = Instant::now();
        let far = || Instant::now() + Duration::from_secs(86_400 * 365);
        let mut last_frame = Instant::now();
        *last_catchup = Some(Instant::now());
        let mut catchup = Some(shared.catch_up_task());
        let mut next_catchup = far();
        let mut failures = 0u32;
        shared.set_status(Status::CatchingUp);
        let end = loop {
            tokio::select! {
                _ = shared.shutdown.cancelled() => {
                    let _ = tokio::time::timeout(Duration::from_millis(500), ws.close(None)).await;
                    return SessionEnd::Shutdown;
                }
                msg = ws.next() => {
                    last_frame = Instant::now();
                    match msg {
                        Some(Ok(Message::Text(text))) => {
                            if let Some(end) = self.on_frame(astro::parse(text.as_str())).await {
                                let _ = tokio::time::timeout(Duration::from_millis(500), ws.close(None)).await;
                                return end;
                            }
                            // A tip the sink refused: catch up (it drains the retry queue) soon.
                            if !shared.retry.lock().unwrap_or_else(|p| p.into_inner()).is_empty() && catchup.is_none() {
                                next_catchup = next_catchup.min(Instant::now() + t.catchup_retry);
                            }
                        }
                        Some(Ok(Message::Close(c))) => {
                            tracing::warn!(close = ?c.map(|c| u16::from(c.code)), "streamelements: socket closed by the server");
                            break SessionEnd::Lost { live_for: Some(live_since.elapsed()), wait: None, slow: false };
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => {
                            tracing::warn!(error = %e, "streamelements: socket error");
                            break SessionEnd::Lost { live_for: Some(live_since.elapsed()), wait: None, slow: false };
                        }
                        None => {
                            tracing::warn!("streamelements: socket ended");
                            break SessionEnd::Lost { live_for: Some(live_since.elapsed()), wait: None, slow: false };
                        }
                    }
                }
                _ = tokio::time::sleep_until(last_frame + t.silence_timeout) => {
                    tracing::warn!("streamelements: socket silent (not even a ping); reconnecting");
                    break SessionEnd::Lost { live_for: Some(live_since.elapsed()), wait: None, slow: false };
                }
                result = async { match catchup.as_mut() { Some(f) => f.await, None => std::future::pending().await } } => {
                    catchup = None;
                    match result {
                        Ok(report) => {
                            failures = 0;
                            tracing::debug!(delivered = report.delivered, pages = report.pages, watermark = %report.watermark, "streamelements: catch-up done");
                            // Live tips the sink refused meanwhile: the next catch-up delivers them.
                            let queued = !shared.retry.lock().unwrap_or_else(|p| p.into_inner()).is_empty();
                            next_catchup = Instant::now() + if queued { t.catchup_retry } else { t.safety_net_interval };
                            shared.set_status(Status::Live);
                        }
                        Err(e) if e.is_login_needed() => return SessionEnd::LoginNeeded,
                        Err(e) => {
                            let retry = t.catchup_retry.saturating_mul(1 << failures.min(16)).min(t.poll_interval.max(t.catchup_retry));
                            failures += 1;
                            tracing::warn!(error = %e, retry_ms = retry.as_millis() as u64, "streamelements: catch-up failed; retrying");
                            next_catchup = Instant::now() + retry;
                        }
                    }
                }
                _ = tokio::time::sleep_until(next_catchup), if catchup.is_none() => {
                    *last_catchup = Some(Instant::now());
                    catchup = Some(shared.catch_up_task());
                    next_catchup = far();
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(200), ws.close(None)).await;
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_url_keeps_the_path_and_adds_the_token() {
        assert_eq!(
            socket_url("wss://astro.streamelements.com/", Some("a b+c")),
            "wss://astro.streamelements.com/?reconnect_token=a+b%2Bc"
        );
        assert_eq!(socket_url("ws://127.0.0.1:9/", None), "ws://127.0.0.1:9/");
    }
}
