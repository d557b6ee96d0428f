//! [`Twitch::run`](crate::Twitch): the one task that owns the intake.
//!
//! ```text
//!            ┌──────────────── shutdown (any state) ────────────────→ Stopped
//!  start ──→ Connecting: validate token, find/create reward ──→ session (see `session`)
//!               ↑    │ 5xx / network                               │ socket lost, close code
//!               │    ↓                                             ↓
//!               └── Reconnecting{in_secs}  (backoff 2^n × [0.5, 1.5), capped) ←─┘
//!  401 that a refresh cannot cure, missing scopes, authorization revoked
//!        ──→ LoginNeeded ──(token file holds a new token)──→ Connecting
//! ```

use std::sync::Arc;
use std::time::Duration;

use source::{CancellationToken, Incoming, Sink, SourceError, Status};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::api::ApiError;
use crate::session::{run_session, SessionEnd};
use crate::Twitch;

use source::backoff_delay;

/// The scopes the intake needs (and `login` asks for).
pub const SCOPES: &str = "channel:manage:redemptions bits:read";

/// What the delivery task hands to the sink, in arrival order.
enum Job {
    Deliver(Incoming),
    /// A redemption canceled on Twitch (refunded by a moderator): not to be drawn if still waiting.
    Withdraw(String),
}

/// What a running intake hands around.
pub(crate) struct Ctl {
    /// Donations (and withdrawals) on their way to the sink, in arrival order (see [`deliver_in_order`]).
    queue: tokio::sync::mpsc::UnboundedSender<Job>,
    status: watch::Sender<Status>,
    pub(crate) shutdown: CancellationToken,
}

impl Ctl {
    pub(crate) fn set_status(&self, s: Status) {
        self.status.send_if_modified(|cur| {
            if *cur == s {
                return false;
            }
            if !matches!((*cur, s), (Status::Reconnecting { .. }, Status::Reconnecting { .. })) {
                tracing::info!(status = %s, "twitch: intake state");
            }
            *cur = s;
            true
        });
    }

    /// Hands a donation to the delivery task. Never waits: the socket loop keeps answering
    /// keepalives and `session_reconnect` even while the journal refuses writes.
    pub(crate) fn enqueue(&self, incoming: Incoming) {
        // The receiver lives as long as `run`; a closed queue means we are shutting down.
        let _ = self.queue.send(Job::Deliver(incoming));
    }

    /// Queues the withdrawal of a redemption refunded on Twitch (after anything queued before it).
    pub(crate) fn withdraw(&self, redemption: String) {
        let _ = self.queue.send(Job::Withdraw(redemption));
    }
}

enum Prepared {
    Ready,
    LoginNeeded,
    Failed,
}

/// Validates the token (→ broadcaster id, scopes) and finds or creates our reward.
async fn prepare(tw: &Twitch) -> Prepared {
    let v = match tw.api.validate().await {
        Ok(v) => v,
        Err(ApiError::LoginNeeded(m)) => {
            tracing::warn!(reason = %m, "twitch: token refused");
            return Prepared::LoginNeeded;
        }
        Err(e) => {
            tracing::warn!(error = %e, "twitch: token validation failed");
            return Prepared::Failed;
        }
    };
    // A token of another application works for reading but can never manage our reward's
    // redemptions (and cannot be refreshed with our client id): say which one, not just "login needed".
    if !v.client_id.is_empty() && !tw.api.cfg.client_id.is_empty() && v.client_id != tw.api.cfg.client_id {
        tracing::error!(
            token_client_id = %v.client_id,
            configured = %tw.api.cfg.client_id,
            "twitch: the token was issued to another application than TWITCH_CLIENT_ID; run `draw-stream login twitch`"
        );
        return Prepared::LoginNeeded;
    }
    if let Some(scopes) = &v.scopes {
        let missing: Vec<&str> = SCOPES.split(' ').filter(|s| !scopes.iter().any(|g| g == s)).collect();
        if !missing.is_empty() {
            tracing::error!(missing = ?missing, "twitch: the token lacks scopes; run `draw-stream login twitch` again");
            return Prepared::LoginNeeded;
        }
    }
    tracing::info!(broadcaster = %v.user_id, login = %v.login, "twitch: token valid");
    tw.set_broadcaster(&v.user_id);
    let title = tw.api.cfg.reward_title.clone();
    match our_reward(tw, &v.user_id, &title).await {
        Ok(id) => {
            tracing::info!(reward = %id, title = %title, "twitch: reward ready");
            tw.set_reward(Ok(id));
            Prepared::Ready
        }
        Err(ApiError::LoginNeeded(m)) => {
            tracing::warn!(reason = %m, "twitch: token refused");
            Prepared::LoginNeeded
        }
        Err(ApiError::Http { status: 400, message }) => {
            // Twitch refuses a second reward with the same title. One made in the dashboard (or by
            // another app) is not "manageable" by our client id: we could see its redemptions but
            // never fetch, refund or fulfil them. Cheers still work; redemptions do not.
            tracing::error!(
                title = %title,
                twitch = %message,
                "twitch: cannot create the reward: one with this title probably exists and was made in the \
                 Twitch dashboard (Draw Stream can only use a reward it created). Delete that reward or set \
                 TWITCH_REWARD_TITLE to another title. Only cheers are taken until then."
            );
            tw.set_reward(Err("cheers only: a reward with this title was made by hand (see the log)"));
            Prepared::Ready
        }
        Err(ApiError::Http { status: 403, message }) => {
            tracing::error!(
                twitch = %message,
                "twitch: channel points are not available (the channel must be affiliate or partner); only cheers are taken"
            );
            tw.set_reward(Err("cheers only: channel points need an affiliate or partner channel"));
            Prepared::Ready
        }
        Err(e) => {
            tracing::warn!(error = %e, "twitch: reward lookup failed");
            Prepared::Failed
        }
    }
}

/// What `<data dir>/twitch-reward.json` holds: the reward we made (not a secret).
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedReward {
    reward_id: String,
}

/// Our reward: the manageable one with the configured title; else the one we made before (its id
/// saved in the data dir), renamed to the new title, so a changed `TWITCH_REWARD_TITLE` leaves no
/// orphan reward behind and the redemptions still waiting on it can be fulfilled or refunded; else
/// a new one.
async fn our_reward(tw: &Twitch, broadcaster: &str, title: &str) -> Result<String, ApiError> {
    let path = &tw.api.cfg.reward_file;
    let saved = match source::read_json_secret::<SavedReward>(path) {
        Ok(s) => s.map(|s| s.reward_id),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "twitch: cannot read the saved reward id");
            None
        }
    };
    let rewards = tw.api.manageable_rewards(broadcaster).await?;
    let id = if let Some((id, _)) = rewards.iter().find(|(_, t)| t.eq_ignore_ascii_case(title)) {
        id.clone()
    } else if let Some((id, old)) = saved.as_ref().and_then(|s| rewards.iter().find(|(id, _)| id == s)) {
        tracing::info!(from = %old, to = %title, "twitch: renaming our channel-points reward (TWITCH_REWARD_TITLE changed)");
        tw.api.rename_reward(broadcaster, id, title).await?;
        id.clone()
    } else {
        tracing::info!(title = %title, "twitch: creating the channel-points reward");
        tw.api.create_reward(broadcaster, title).await?
    };
    if saved.as_deref() != Some(id.as_str()) {
        if let Err(e) = source::write_json_secret(path, &SavedReward { reward_id: id.clone() }) {
            // Only a later rename needs it: that one would make a new reward instead.
            tracing::warn!(path = %path.display(), error = %e, "twitch: cannot save the reward id");
        }
    }
    Ok(id)
}

/// Delivers queued donations one by one, in order, each until the sink confirms it (retrying with
/// backoff: a donation is never dropped while the service runs). Ends when the queue is closed and
/// empty, or at shutdown while the sink refuses.
async fn deliver_in_order(
    sink: Arc<dyn Sink>,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<Job>,
    shutdown: CancellationToken,
    tuning: crate::config::TwitchTuning,
) {
    while let Some(job) = queue.recv().await {
        let mut delay = tuning.sink_retry_min;
        loop {
            let (id, done) = match &job {
                Job::Deliver(incoming) => (&incoming.source_id, sink.deliver(incoming.clone()).await.map(|d| {
                    tracing::debug!(id = %incoming.source_id, kind = %incoming.message_type, delivery = ?d, "twitch: delivered");
                })),
                Job::Withdraw(id) => (id, sink.withdraw(id, "canceled on Twitch (points refunded)").await.map(|w| {
                    tracing::info!(id = %id, withdrawn = w, "twitch: redemption canceled on Twitch");
                })),
            };
            match done {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(id = %id, error = %e, retry_ms = delay.as_millis() as u64, "twitch: sink refused a donation; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(tuning.sink_retry_max);
                }
            }
        }
    }
}

/// Runs the intake until `shutdown` is cancelled.
pub(crate) async fn run(
    tw: Arc<Twitch>,
    sink: Arc<dyn Sink>,
    status: watch::Sender<Status>,
    shutdown: CancellationToken,
) -> Result<(), SourceError> {
    let (queue, queued) = tokio::sync::mpsc::unbounded_channel();
    let delivery = tokio::spawn(deliver_in_order(sink, queued, shutdown.clone(), tw.api.cfg.tuning.clone()));
    let ctl = Ctl { queue, status, shutdown };
    run_sessions(&tw, &ctl).await;
    let Ctl { queue, status, .. } = ctl;
    drop(queue);
    // What arrived before the stop is still delivered (unless the sink refuses it at shutdown).
    let _ = delivery.await;
    status.send_replace(Status::Stopped);
    tracing::info!("twitch: intake stopped");
    Ok(())
}

/// Logs in, connects, and runs sessions with backoff until shutdown.
async fn run_sessions(tw: &Arc<Twitch>, ctl: &Ctl) {
    let tw = tw.clone();
    if !tw.api.load_credentials() && !wait_for_login(&tw, ctl).await {
        return;
    }
    let t = tw.api.cfg.tuning.clone();
    let mut attempt = 0u32;
    let mut seen = source::RecentIds::new(t.dedupe_capacity);
    loop {
        if ctl.shutdown.is_cancelled() {
            break;
        }
        ctl.set_status(Status::Connecting);
        let prepared = tokio::select! {
            _ = ctl.shutdown.cancelled() => break,
            p = prepare(&tw) => p,
        };
        // A failed preparation ends like a session lost before it went live.
        let end = match prepared {
            Prepared::LoginNeeded => SessionEnd::LoginNeeded,
            Prepared::Failed => SessionEnd::Lost { live_for: None, hard: false },
            Prepared::Ready => run_session(&tw, ctl, &mut seen).await,
        };
        let delay = match end {
            SessionEnd::Shutdown => break,
            SessionEnd::LoginNeeded => {
                if !wait_for_login(&tw, ctl).await {
                    break;
                }
                attempt = 0;
                continue;
            }
            SessionEnd::Lost { live_for, hard } => {
                if live_for.is_some_and(|l| l >= t.backoff_reset_after) {
                    attempt = 0;
                }
                if hard {
                    t.backoff_max
                } else {
                    backoff_delay(attempt, t.backoff_min, t.backoff_max)
                }
            }
        };
        attempt = attempt.saturating_add(1);
        if !wait_reconnect(ctl, delay).await {
            break;
        }
    }
}

/// Counts down on the status; false on shutdown.
async fn wait_reconnect(ctl: &Ctl, delay: Duration) -> bool {
    tracing::info!(delay_ms = delay.as_millis() as u64, "twitch: reconnecting after backoff");
    let deadline = Instant::now() + delay;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        let left = deadline - now;
        ctl.set_status(Status::Reconnecting { in_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0) });
        tokio::select! {
            _ = ctl.shutdown.cancelled() => return false,
            _ = tokio::time::sleep(left.min(Duration::from_secs(1))) => {}
        }
    }
}

/// "Login needed": no calls to Twitch; re-reads the token file until it holds a new token.
/// False on shutdown.
async fn wait_for_login(tw: &Twitch, ctl: &Ctl) -> bool {
    ctl.set_status(Status::LoginNeeded);
    tracing::warn!(
        file = %tw.api.cfg.token_file.display(),
        "twitch: login needed; run `draw-stream login twitch`"
    );
    loop {
        tokio::select! {
            _ = ctl.shutdown.cancelled() => return false,
            _ = tokio::time::sleep(tw.api.cfg.tuning.login_recheck_interval) => {}
        }
        if tw.api.new_login_available() {
            tracing::info!("twitch: new token found; connecting");
            return true;
        }
    }
}
