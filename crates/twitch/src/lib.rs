//! Twitch as a donation source for Draw Stream: channel-points redemptions of the streamer's reward
//! (the viewer's text input is the drawing request) and cheers with a message, over EventSub
//! WebSocket; unfulfilled redemptions caught up over Helix; each redemption settled as `FULFILLED`
//! (drawn) or `CANCELED` (points refunded).
//!
//! The service builds [`Twitch`] through [`KIND`] and runs it with a [`source::Sink`] (the
//! journal, which dedupes on `(twitch, source_id)`); this crate delivers at least once.
//!
//! ```text
//! GET  {auth}/validate                         -> broadcaster id (start-up, hourly)
//! GET  custom_rewards?only_manageable_rewards  -> our reward by title; else the one we made before
//!                                                 (id in twitch-reward.json), PATCHed to the new title;
//!                                                 else POST one (text input required)
//! WS   {eventsub}?keepalive_timeout_seconds=30 <- session_welcome (session id)
//! POST eventsub/subscriptions × 3              (redemption.add and .update for our reward, channel.cheer)
//! GET  custom_rewards/redemptions?status=UNFULFILLED&sort=OLDEST  (catch-up, paged)
//! WS   <- notification / session_keepalive / session_reconnect / revocation
//! PATCH custom_rewards/redemptions {"status":"FULFILLED"|"CANCELED"}  (settle)
//! ```
//!
//! # States
//!
//! ```text
//! Connecting -> CatchingUp -> Live -> (socket lost / silent / close code) -> Reconnecting{in_secs} -> Connecting
//!   Live -- session_reconnect --> (new socket beside the old one; welcome) --> Live   (no resubscribe)
//!   any 401 a refresh cannot cure, missing scopes, authorization revoked -> LoginNeeded -> (new token file) -> Connecting
//! shutdown -> Stopped
//! ```
//!
//! Cheers made while the socket is down are lost: EventSub never replays and Helix has no cheer
//! history. Redemptions are not lost: they stay UNFULFILLED on Twitch until settled, and are fetched.
//!
//! Notifications are deduplicated by `message_id` but never dropped for age: Twitch's advice to
//! discard messages older than 10 minutes guards webhook endpoints against replayed requests, while
//! this socket is one we opened to Twitch over TLS. A late redemption was still paid for in points
//! (and the journal dedupes a replay on its redemption id), so it is drawn rather than lost.

mod api;
mod config;
mod eventsub;
#[cfg(feature = "fake")]
pub mod fake;
mod oauth;
mod session;
mod supervisor;
mod token;

use std::path::Path;
use std::sync::{Arc, Mutex};

use source::{
    async_trait, watch, CancellationToken, ConfigProblem, DonationSource, Lookup, Outcome, SettleError, Settlement,
    Sink, Source, SourceError, SourceKind, Status,
};

pub use config::{configured, TwitchConfig, TwitchTuning, KEYS, TOKEN_FILE_NAME};
pub use eventsub::{strip_cheermotes, CHEER, REDEMPTION, SOURCE};
pub use oauth::{login, login_with, DeviceCode, LoginError, LoginOptions};
pub use supervisor::SCOPES;
pub use token::{StoredToken, TokenFile, TokenFileError};

use api::{Api, ApiError};

/// What the service lists about this source.
pub const KIND: SourceKind = SourceKind { name: SOURCE, label: LABEL, keys: KEYS, configured, build };

/// The name a streamer reads on the HUD and the panel.
const LABEL: &str = "Twitch";

fn build(lookup: Lookup<'_>, data_dir: &Path) -> Result<Option<Arc<dyn DonationSource>>, Vec<ConfigProblem>> {
    Ok(TwitchConfig::from_lookup(lookup, data_dir)?.map(|cfg| Arc::new(Twitch::new(cfg)) as Arc<dyn DonationSource>))
}

#[derive(Default)]
struct Ids {
    broadcaster: Option<String>,
    /// Our reward's id, or why there is none to take redemptions from (cheers still work); `None`
    /// until the first connection decided.
    reward: Option<Result<String, &'static str>>,
}

/// The Twitch source.
pub struct Twitch {
    api: Api,
    ids: Mutex<Ids>,
}

impl Twitch {
    pub fn new(cfg: TwitchConfig) -> Twitch {
        Twitch { api: Api::new(cfg), ids: Mutex::new(Ids::default()) }
    }

    /// (broadcaster id, our reward id), once known.
    pub fn ids(&self) -> (Option<String>, Option<String>) {
        let g = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        (g.broadcaster.clone(), g.reward.clone().and_then(Result::ok))
    }

    pub(crate) fn set_broadcaster(&self, id: &str) {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).broadcaster = Some(id.to_string());
    }

    /// Records our reward's id, or why redemptions cannot be taken.
    pub(crate) fn set_reward(&self, reward: Result<String, &'static str>) {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).reward = Some(reward);
    }

    /// The status once subscribed: live, or live for cheers only (and why).
    pub(crate) fn live_status(&self) -> Status {
        match self.ids.lock().unwrap_or_else(|e| e.into_inner()).reward {
            Some(Err(note)) => Status::Partial { note },
            _ => Status::Live,
        }
    }

    async fn settle_redemption(&self, id: &str, outcome: Outcome) -> Result<(), SettleError> {
        let ids = {
            let g = self.ids.lock().unwrap_or_else(|e| e.into_inner());
            (g.broadcaster.clone(), g.reward.clone())
        };
        let (broadcaster, reward) = match ids {
            (Some(b), Some(Ok(r))) => (b, r),
            // Connected, but there is no reward of ours: it can never be settled (and must not
            // hold up the settlements behind it).
            (Some(_), Some(Err(why))) => {
                return Err(SettleError::Permanent(format!("redemption {id}: no reward to settle with ({why})")))
            }
            _ => return Err(SettleError::Retry("not connected yet".into())),
        };
        let target = if outcome == Outcome::Drawn { "FULFILLED" } else { "CANCELED" };
        match self.api.set_redemption_status(&broadcaster, &reward, id, target).await {
            Ok(()) => {
                tracing::info!(id, status = target, "twitch: redemption settled");
                Ok(())
            }
            Err(ApiError::Http { status: 400 | 404, message }) => {
                // Not UNFULFILLED (any more) or unknown: settled already (by us before a crash, or by
                // a moderator), or gone. Same status as asked = idempotent success.
                match self.api.redemption_status(&broadcaster, &reward, id).await {
                    Ok(Some(s)) if s == target => Ok(()),
                    Ok(Some(s)) => Err(SettleError::Permanent(format!(
                        "redemption {id} is already {s} on Twitch (settled from the Twitch reward queue?)"
                    ))),
                    Ok(None) => Err(SettleError::Permanent(format!(
                        "redemption {id} was not found on Twitch (deleted reward, or older than Twitch keeps): {message}"
                    ))),
                    Err(e) => Err(settle_error(id, e)),
                }
            }
            Err(ApiError::Http { status: 403, message }) => Err(SettleError::Permanent(format!(
                "redemption {id}: Twitch refused (only the app that created the reward may settle it): {message}"
            ))),
            Err(e) => Err(settle_error(id, e)),
        }
    }
}

/// A failed Helix call while settling: tried again later when a login or time can cure it
/// (login needed, network, 5xx, 429), given up otherwise.
fn settle_error(id: &str, e: ApiError) -> SettleError {
    let why = format!("redemption {id}: {e}");
    if matches!(e, ApiError::LoginNeeded(_)) || e.is_transient() {
        SettleError::Retry(why)
    } else {
        SettleError::Permanent(why)
    }
}

impl std::fmt::Debug for Twitch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twitch").field("config", &self.api.cfg).finish_non_exhaustive()
    }
}

#[async_trait]
impl DonationSource for Twitch {
    fn name(&self) -> Source {
        SOURCE
    }

    fn label(&self) -> &'static str {
        LABEL
    }

    async fn run(
        self: Arc<Self>,
        sink: Arc<dyn Sink>,
        status: watch::Sender<Status>,
        shutdown: CancellationToken,
    ) -> Result<(), SourceError> {
        supervisor::run(self, sink, status, shutdown).await
    }

    fn settles(&self) -> bool {
        true
    }

    /// Redemptions: `Drawn` → FULFILLED, anything else → CANCELED (refund). Cheers: nothing to do.
    async fn settle(&self, settlement: &Settlement) -> Result<(), SettleError> {
        if settlement.message_type != REDEMPTION {
            return Ok(());
        }
        self.settle_redemption(&settlement.source_id, settlement.outcome).await
    }
}
