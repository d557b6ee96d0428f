//! [`run`]: the one task that owns the intake.
//!
//! ```text
//!            ┌──────────────── shutdown (any state) ───────────────→ Stopped
//!  start ──→ Connecting ──→ CatchingUp ⇄ Live
//!               ↑   │ fail        │ socket lost
//!               │   ↓             ↓
//!               └─ Reconnecting{in_secs}  (backoff 2^n ± 50 %, REST catch-up every poll_interval)
//!  any 401 that one refresh cannot cure ──→ LoginNeeded ──(token file changes)──→ Connecting
//! ```

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api::Api;
use crate::catchup::{catch_up, CatchUpReport};
use crate::config::DaConfig;
use crate::error::IntakeError;
use crate::session::{run_session, SessionEnd};
use crate::sink::DonationSink;
use crate::status::IntakeStatus;

pub(crate) use source::backoff_delay;

/// A running catch-up, owned so that it can outlive the session that started it.
pub(crate) type CatchUpTask =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<CatchUpReport, IntakeError>> + Send>>;

/// What every part of a running intake shares.
pub(crate) struct Shared {
    pub(crate) cfg: DaConfig,
    pub(crate) ws_url: String,
    pub(crate) api: Arc<Api>,
    pub(crate) sink: Arc<dyn DonationSink>,
    status: watch::Sender<IntakeStatus>,
    pub(crate) shutdown: CancellationToken,
}

impl Shared {
    pub(crate) fn set_status(&self, s: IntakeStatus) {
        self.status.send_if_modified(|cur| {
            if *cur != s {
                if !matches!((*cur, s), (IntakeStatus::Reconnecting { .. }, IntakeStatus::Reconnecting { .. })) {
                    tracing::info!(status = %s, "donationalerts: intake state");
                }
                *cur = s;
                true
            } else {
                false
            }
        });
    }

    /// A boxed catch-up future that owns what it needs (so a session can poll it beside the socket).
    pub(crate) fn catch_up_task(&self) -> CatchUpTask {
        let api = self.api.clone();
        let sink = self.sink.clone();
        let max_pages = self.cfg.tuning.max_catchup_pages;
        Box::pin(async move { catch_up(&api, &*sink, max_pages).await })
    }
}

/// Bookkeeping that outlives one socket session.
pub(crate) struct SupervisorState {
    /// When the last catch-up started (any path); paces the down-time polling.
    pub(crate) last_catchup_attempt: Option<Instant>,
    /// When the socket last stopped being live (or when `run` started).
    down_since: Instant,
    /// Consecutive failed attempts, for the backoff exponent.
    attempt: u32,
}

/// Runs the Donation Alerts intake until `shutdown` is cancelled.
///
/// * With no credentials at all (no `DA_ACCESS_TOKEN`, no token file, no `DA_CLIENT_ID`) it sets
///   [`IntakeStatus::Disabled`] and returns `Ok(())` at once.
/// * Otherwise it connects, delivers every donation to `sink` (at least once, oldest first), keeps
///   `status` current, and returns `Ok(())` after shutdown with the status [`IntakeStatus::Stopped`].
/// * Only a configuration error (e.g. an invalid `DA_WS_URL`) returns `Err`; network failures,
///   DA errors and sink errors are retried, and refused credentials wait in
///   [`IntakeStatus::LoginNeeded`] for a new token file.
pub async fn run(
    cfg: DaConfig,
    sink: Arc<dyn DonationSink>,
    status: watch::Sender<IntakeStatus>,
    shutdown: CancellationToken,
) -> Result<(), IntakeError> {
    cfg.validate()?;
    let ws_url = cfg.websocket_url()?;
    let api = Arc::new(Api::new(&cfg)?);
    let has_token = api.load_credentials().await;
    let shared = Shared { cfg, ws_url, api, sink, status, shutdown };
    if !has_token && shared.cfg.client_id.is_none() {
        tracing::info!("donationalerts: no DA_ACCESS_TOKEN, token file or DA_CLIENT_ID; intake disabled");
        shared.set_status(IntakeStatus::Disabled);
        return Ok(());
    }
    let mut state = SupervisorState { last_catchup_attempt: None, down_since: Instant::now(), attempt: 0 };
    if !has_token && !wait_for_login(&shared).await {
        shared.set_status(IntakeStatus::Stopped);
        return Ok(());
    }
    loop {
        if shared.shutdown.is_cancelled() {
            break;
        }
        let end = run_session(&shared, &mut state).await;
        let (delay, pending) = match end {
            SessionEnd::Shutdown => break,
            SessionEnd::LoginNeeded => {
                if !wait_for_login(&shared).await {
                    break;
                }
                state.attempt = 0;
                state.down_since = Instant::now();
                continue;
            }
            SessionEnd::Lost { live_for, hard, pending } => {
                if live_for.is_some() {
                    state.down_since = Instant::now();
                }
                if live_for.is_some_and(|l| l >= shared.cfg.tuning.backoff_reset_after) {
                    state.attempt = 0;
                }
                let t = &shared.cfg.tuning;
                let d = if hard { t.backoff_max } else { backoff_delay(state.attempt, t.backoff_min, t.backoff_max) };
                state.attempt = state.attempt.saturating_add(1);
                (d, pending)
            }
        };
        match wait_reconnect(&shared, &mut state, delay, pending).await {
            WaitEnd::Reconnect => {}
            WaitEnd::Shutdown => break,
            WaitEnd::LoginNeeded => {
                if !wait_for_login(&shared).await {
                    break;
                }
                state.attempt = 0;
            }
        }
    }
    shared.set_status(IntakeStatus::Stopped);
    tracing::info!("donationalerts: intake stopped");
    Ok(())
}

enum WaitEnd {
    Reconnect,
    Shutdown,
    LoginNeeded,
}

/// Waits `delay` before the next connection attempt, counting down on the status and running the
/// REST catch-up every `poll_interval` while the socket stays down.
async fn wait_reconnect(
    shared: &Shared,
    state: &mut SupervisorState,
    delay: Duration,
    mut pending: Option<CatchUpTask>,
) -> WaitEnd {
    let deadline = Instant::now() + delay;
    tracing::info!(
        delay_ms = delay.as_millis() as u64,
        attempt = state.attempt,
        "donationalerts: reconnecting after backoff"
    );
    loop {
        let now = Instant::now();
        let poll_from = state.last_catchup_attempt.map_or(state.down_since, |l| l.max(state.down_since));
        let poll_at = poll_from + shared.cfg.poll_interval;
        if pending.is_some() || now >= poll_at {
            let task = match pending.take() {
                Some(task) => task,
                None => {
                    state.last_catchup_attempt = Some(now);
                    shared.catch_up_task()
                }
            };
            shared.set_status(IntakeStatus::CatchingUp);
            let result = tokio::select! {
                _ = shared.shutdown.cancelled() => return WaitEnd::Shutdown,
                r = task => r,
            };
            match result {
                Ok(report) => tracing::debug!(
                    delivered = report.delivered.len(),
                    watermark = report.watermark,
                    "donationalerts: down-time catch-up done"
                ),
                Err(IntakeError::LoginNeeded) => return WaitEnd::LoginNeeded,
                Err(e) => tracing::warn!(error = %e, "donationalerts: down-time catch-up failed"),
            }
            continue;
        }
        if now >= deadline {
            return WaitEnd::Reconnect;
        }
        let left = deadline - now;
        let in_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        shared.set_status(IntakeStatus::Reconnecting { in_secs });
        let wake = deadline.min(poll_at).min(now + Duration::from_secs(1).min(left));
        tokio::select! {
            _ = shared.shutdown.cancelled() => return WaitEnd::Shutdown,
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}

/// "Login needed": no HTTP at all; re-read the token file now and then until it holds a new token.
/// Returns false on shutdown.
async fn wait_for_login(shared: &Shared) -> bool {
    shared.set_status(IntakeStatus::LoginNeeded);
    tracing::warn!(
        file = %shared.cfg.token_file.display(),
        "donationalerts: login needed; run `draw-stream login donationalerts`"
    );
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return false,
            _ = tokio::time::sleep(shared.cfg.tuning.login_recheck_interval) => {}
        }
        if shared.api.token_file_changed().await && shared.api.load_credentials().await {
            tracing::info!("donationalerts: new token found; reconnecting");
            return true;
        }
    }
}
