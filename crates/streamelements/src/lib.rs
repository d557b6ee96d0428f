//! StreamElements tips as a Draw Stream donation source: every `allowed` tip, at least once, with
//! no gaps.
//!
//! [`StreamElements`] implements [`source::DonationSource`]. It keeps a live subscription on the
//! Astro WebSocket (`channel.tips`, plus `channel.tips.moderation` for approvals of held tips) and,
//! around it, a REST catch-up on `GET {api}/tips/{channel}` from a watermark kept by the sink. The
//! socket gives latency; the catch-up gives completeness (after every (re)subscribe, while the socket
//! is down, and as a slow safety net). Exactly-once is the sink's job: it dedupes on
//! `(streamelements, tip _id)`.
//!
//! ```text
//! GET  {api}/channels/me                       -> channel _id (only when STREAMELEMENTS_CHANNEL is unset)
//! WS   {ws_url}                                <- {"type":"welcome",…}
//! WS   {"type":"subscribe","nonce":…,"data":{"topic":"channel.tips","room":…,"token":…,"token_type":"jwt"}}
//!                                              <- {"type":"response","nonce":…}   (same for channel.tips.moderation)
//! GET  {api}/tips/{channel}?offset=&limit=100&sort=createdAt&after=<watermark − 1 ms>
//! WS   <- {"type":"message","topic":"channel.tips","data":{…tip…}}   drawn when approved == "allowed"
//! WS   <- {"type":"reconnect","data":{"reconnect_token":…}}  -> {ws_url}?reconnect_token=… (no re-subscribe)
//! ```
//!
//! With the `fake` feature, `fake::FakeSe` is a fake StreamElements on loopback for tests.
//! The crate README has the keys, the states and the limits.

mod api;
mod astro;
mod catchup;
mod config;
#[cfg(feature = "fake")]
pub mod fake;
mod session;
mod supervisor;
mod tip;

use std::path::Path;
use std::sync::Arc;

use source::{
    async_trait, watch, CancellationToken, ConfigProblem, DonationSource, Lookup, Sink, Source, SourceError,
    SourceKind, Status,
};

pub use config::{
    configured, SeConfig, SeTuning, TokenType, DEFAULT_API_BASE, DEFAULT_WS_URL, KEYS, KEY_API_BASE, KEY_CHANNEL,
    KEY_TOKEN, KEY_WS_URL, TOKEN_FILE_NAME,
};
pub use tip::format_amount;

/// Why `draw-stream login streamelements` did not save the token.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Nothing was pasted.
    #[error("no token given: paste the JWT from the StreamElements dashboard (avatar → Channels → Show secrets)")]
    Empty,
    /// StreamElements answered 401.
    #[error("StreamElements refused this token: copy the whole JWT again (it changes when you regenerate it)")]
    Refused,
    /// The check could not be made (network, server error).
    #[error("could not check the token with StreamElements: {0}")]
    Check(String),
    /// The token file could not be written.
    #[error("cannot save the token in {path}: {error}")]
    Save { path: String, error: String },
}

/// `draw-stream login streamelements`: checks `token` with StreamElements (`GET /channels/me`) and
/// saves it in the data dir (owner-only), where a running service waiting for a login picks it up
/// within seconds. Returns the channel `_id`. The token is never logged.
pub async fn login(cfg: &SeConfig, token: &str) -> Result<String, LoginError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(LoginError::Empty);
    }
    let api = api::Api::new(cfg).map_err(LoginError::Check)?;
    let channel = match api.channel_id(token).await {
        Ok(c) => c,
        Err(api::ApiError::Unauthorized(_)) => return Err(LoginError::Refused),
        Err(e) => return Err(LoginError::Check(e.to_string())),
    };
    source::write_secret(&cfg.token_file, token.as_bytes())
        .map_err(|e| LoginError::Save { path: cfg.token_file.display().to_string(), error: e.to_string() })?;
    Ok(channel)
}

/// The journal's name of this source: `streamelements`.
pub const SOURCE: Source = Source::named("streamelements");

/// What the service needs to know about StreamElements.
pub const KIND: SourceKind = SourceKind { name: SOURCE, label: LABEL, keys: KEYS, configured, build };

const LABEL: &str = "StreamElements";

fn build(lookup: Lookup<'_>, data_dir: &Path) -> Result<Option<Arc<dyn DonationSource>>, Vec<ConfigProblem>> {
    Ok(SeConfig::from_lookup(lookup, data_dir)?
        .map(|cfg| Arc::new(StreamElements::new(cfg)) as Arc<dyn DonationSource>))
}

/// The StreamElements source.
pub struct StreamElements {
    cfg: SeConfig,
}

impl std::fmt::Debug for StreamElements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamElements").field("cfg", &self.cfg).finish_non_exhaustive()
    }
}

impl StreamElements {
    /// A source for this configuration (tests set `cfg.tuning`).
    pub fn new(cfg: SeConfig) -> StreamElements {
        StreamElements { cfg }
    }
}

#[async_trait]
impl DonationSource for StreamElements {
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
        supervisor::run(self.cfg.clone(), sink, status, shutdown)
            .await
            .map_err(|e| SourceError::new(format!("StreamElements: {e}")))
    }
}
