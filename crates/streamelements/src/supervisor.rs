//! The one task that owns the source: the reconnect loop with backoff and jitter, catch-ups while
//! the socket is down, and the "login needed" wait.
//!
//! ```text
//!            ┌──────────────── shutdown (any state) ───────────────→ Stopped
//!  start ──→ Connecting ──→ CatchingUp ⇄ Live
//!               ↑   │ fail        │ socket lost / silent
//!               │   ↓             ↓
//!               └─ Reconnecting{in_secs}  (backoff 2^n ± 50 %, REST catch-up every poll_interval)
//!  {"type":"reconnect"} ──→ resume with ?reconnect_token= (no re-subscribe; refused → fresh connect)
//!  err_unauthorized / HTTP 401 ──→ LoginNeeded ──(new token, or login_retry_interval)──→ Connecting
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use source::{Incoming, Sink, Status};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api::{Api, ApiError};
use crate::catchup::{catch_up, CatchUpError, CatchUpReport, CONFIRMED_CAP};
use crate::config::SeConfig;
use crate::session::{run_session, Mode, SessionEnd};

pub(crate) use source::backoff_delay;

/// The token in use: the configured one until a new login is saved (see [`wait_for_login`]).
pub(crate) struct TokenCell(Mutex<String>);

impl TokenCell {
    pub(crate) fn get(&self) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn set(&self, token: String) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = token;
    }
}

/// A running catch-up, owned so that the session can poll it beside the socket.
pub(crate) type CatchUpTask =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<CatchUpReport, CatchUpError>> + Send>>;

/// What every part of a running source shares.
pub(crate) struct Shared {
    pub(crate) cfg: SeConfig,
    pub(crate) token: TokenCell,
    pub(crate) api: Api,
    pub(crate) sink: Arc<dyn Sink>,
    pub(crate) status: watch::Sender<Status>,
    pub(crate) shutdown: CancellationToken,
    /// The channel `_id`: configured, or read once from `/channels/me`.
    channel: tokio::sync::Mutex<Option<String>>,
    pub(crate) confirmed: Mutex<source::RecentIds>,
    /// Live tips the sink refused: delivered again before the next catch-up, never dropped.
    pub(crate) retry: Mutex<Vec<Incoming>>,
}

impl Shared {
    pub(crate) fn set_status(&self, s: Status) {
        self.status.send_if_modified(|cur| {
            if *cur == s {
                return false;
            }
            if !matches!((*cur, s), (Status::Reconnecting { .. }, Status::Reconnecting { .. })) {
                tracing::info!(status = %s, "streamelements: state");
            }
            *cur = s;
            true
        });
    }

    /// The channel `_id` (asks `/channels/me` once when it is not configured).
    pub(crate) async fn channel(&self, token: &str) -> Result<String, ApiError> {
        let mut c = self.channel.lock().await;
        if let Some(id) = c.as_ref() {
            return Ok(id.clone());
        }
        let id = self.api.channel_id(token).await?;
        tracing::info!(channel = %id, "streamelements: channel id read from /channels/me");
        *c = Some(id.clone());
        Ok(id)
    }

    pub(crate) fn catch_up_task(self: &Arc<Self>) -> CatchUpTask {
        Box::pin(catch_up(self.clone()))
    }

    /// Keeps a live tip the sink refused, for the next catch-up.
    pub(crate) fn retry_later(&self, incoming: Incoming) {
        let mut q = self.retry.lock().unwrap_or_else(|p| p.into_inner());
        if !q.iter().any(|i| i.source_id == incoming.source_id) {
            q.push(incoming);
        }
    }
}

/// Runs the source until `shutdown`; always ends in [`Status::Stopped`].
pub(crate) async fn run(
    cfg: SeConfig,
    sink: Arc<dyn Sink>,
    status: watch::Sender<Status>,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let api = Api::new(&cfg)?;
    let channel = tokio::sync::Mutex::new(cfg.channel.clone());
    let shared = Arc::new(Shared {
        token: TokenCell(Mutex::new(cfg.token.clone())),
        cfg,
        api,
        sink,
        status,
        shutdown,
        channel,
        confirmed: Mutex::new(source::RecentIds::new(CONFIRMED_CAP)),
        retry: Mutex::new(Vec::new()),
    });
    let mut attempt = 0u32;
    let mut mode = Mode::Fresh;
    let mut last_catchup: Option<Instant> = None;
    let mut quick_moves = 0u32;
    loop {
        if shared.shutdown.is_cancelled() {
            break;
        }
        let started = Instant::now();
        let end = run_session(&shared, std::mem::replace(&mut mode, Mode::Fresh), &mut last_catchup).await;
        let t = &shared.cfg.tuning;
        // A server that keeps sending `reconnect` (or refusing the token) right away must not make us
        // reconnect in a tight loop: after a few quick moves in a row, back off like after a drop.
        if started.elapsed() >= t.backoff_reset_after {
            quick_moves = 0;
        }
        if matches!(end, SessionEnd::Resume(_) | SessionEnd::ResumeRefused) {
            quick_moves += 1;
            if quick_moves > 3 {
                let pause = backoff_delay(attempt, t.backoff_min, t.backoff_max);
                attempt = attempt.saturating_add(1);
                tracing::warn!(
                    pause_ms = pause.as_millis() as u64,
                    "streamelements: moved servers several times in a row; pausing"
                );
                tokio::select! {
                    _ = shared.shutdown.cancelled() => break,
                    _ = tokio::time::sleep(pause) => {}
                }
            }
        }
        let delay = match end {
            SessionEnd::Shutdown => break,
            SessionEnd::LoginNeeded => {
                if !wait_for_login(&shared).await {
                    break;
                }
                attempt = 0;
                continue;
            }
            SessionEnd::Resume(token) => {
                mode = Mode::Resume(token);
                continue;
            }
            SessionEnd::ResumeRefused => {
                tracing::info!("streamelements: reconnect token refused; connecting afresh");
                continue;
            }
            SessionEnd::Lost { live_for, wait, slow } => {
                if live_for.is_some_and(|l| l >= t.backoff_reset_after) {
                    attempt = 0;
                }
                let d = if slow { t.backoff_max } else { backoff_delay(attempt, t.backoff_min, t.backoff_max) };
                attempt = attempt.saturating_add(1);
                wait.map_or(d, |w| w.max(d))
            }
        };
        match wait_reconnect(&shared, delay, &mut last_catchup).await {
            WaitEnd::Reconnect => {}
            WaitEnd::Shutdown => break,
            WaitEnd::LoginNeeded => {
                if !wait_for_login(&shared).await {
                    break;
                }
                attempt = 0;
            }
        }
    }
    shared.set_status(Status::Stopped);
    tracing::info!("streamelements: stopped");
    Ok(())
}

enum WaitEnd {
    Reconnect,
    Shutdown,
    LoginNeeded,
}

/// Waits `delay` before the next attempt, counting down on the status and catching up over REST
/// every `poll_interval` while the socket is down.
async fn wait_reconnect(shared: &Arc<Shared>, delay: Duration, last_catchup: &mut Option<Instant>) -> WaitEnd {
    let deadline = Instant::now() + delay;
    let poll = shared.cfg.tuning.poll_interval;
    tracing::info!(delay_ms = delay.as_millis() as u64, "streamelements: reconnecting after backoff");
    loop {
        let now = Instant::now();
        let poll_at = last_catchup.map_or(now, |l| l + poll);
        if now >= poll_at && now < deadline {
            *last_catchup = Some(now);
            shared.set_status(Status::CatchingUp);
            let result = tokio::select! {
                _ = shared.shutdown.cancelled() => return WaitEnd::Shutdown,
                r = shared.catch_up_task() => r,
            };
            match result {
                Ok(r) => tracing::debug!(delivered = r.delivered, "streamelements: down-time catch-up done"),
                Err(e) if e.is_login_needed() => return WaitEnd::LoginNeeded,
                Err(e) => tracing::warn!(error = %e, "streamelements: down-time catch-up failed"),
            }
            continue;
        }
        if now >= deadline {
            return WaitEnd::Reconnect;
        }
        let left = deadline - now;
        let in_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        shared.set_status(Status::Reconnecting { in_secs });
        let wake = deadline.min(poll_at.max(now)).min(now + Duration::from_secs(1).min(left));
        tokio::select! {
            _ = shared.shutdown.cancelled() => return WaitEnd::Shutdown,
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}

/// "Login needed": no traffic until a new login is saved (`draw-stream login streamelements`) or
/// `login_retry_interval` passed. Returns false on shutdown.
async fn wait_for_login(shared: &Shared) -> bool {
    shared.set_status(Status::LoginNeeded);
    tracing::warn!(
        "streamelements: StreamElements refused the token; run `draw-stream login streamelements` with a new \
         JWT (dashboard → avatar → Channels → Show secrets), or put it in STREAMELEMENTS_TOKEN and restart"
    );
    let retry = tokio::time::Instant::now() + shared.cfg.tuning.login_retry_interval;
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return false,
            _ = tokio::time::sleep_until(retry) => return true,
            _ = tokio::time::sleep(shared.cfg.tuning.login_file_poll) => {
                match crate::config::read_token_file(&shared.cfg.token_file) {
                    Ok(Some(saved)) if saved != shared.token.get() => {
                        tracing::info!("streamelements: a new login was saved; connecting");
                        shared.token.set(saved);
                        return true;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "streamelements: the saved login cannot be read"),
                }
            }
        }
    }
}
