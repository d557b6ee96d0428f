//! The source seam: one trait that every donation source implements, and the sink it delivers into.
//!
//! A source (Donation Alerts, Twitch, StreamElements, the demo feed, the control API) turns its
//! platform's events into [`Incoming`] donations and hands them to a [`Sink`] — the journal. The
//! sink commits a donation before it answers `Ok`, and dedupes on `(source, source_id)`, so a source
//! only has to deliver **at least once**: redeliver after a reconnect, a catch-up or a restart, and
//! nothing is drawn twice. Exactly-once is the sink's job; completeness is the source's.
//!
//! ```text
//!  platform ──events──► DonationSource::run ──deliver(Incoming)──► Sink (journal, dedupe)
//!                             │  status (watch) ──► /health sources.<name>, HUD, panel
//!                             │  watermark (one string per source, in the journal)
//!  journal: final state ──────┴──► DonationSource::settle (Twitch: FULFILLED / CANCELED)
//! ```
//!
//! Adding a source = one crate that implements [`DonationSource`] (with its configuration section
//! and a fake server for its tests), plus one line in the service's source list.

#[cfg(feature = "testing")]
pub mod testing;
mod util;

pub use util::{backoff_delay, read_json_secret, read_secret, retry_after, write_json_secret, write_secret, RecentIds};

use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use async_trait::async_trait;
pub use journal::{Incoming, Source};
pub use tokio::sync::watch;
pub use tokio_util::sync::CancellationToken;

/// What a source is doing right now, as `/health` (`sources.<name>`), the HUD and the panel show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not configured; the source does nothing.
    Disabled,
    /// Logging in, opening the connection, subscribing.
    Connecting,
    /// Subscribed; donations arrive as they are made.
    Live,
    /// Subscribed, but part of the source cannot work until the streamer fixes something (the note
    /// says what, in a few words; the log says how), e.g. Twitch cheers without redemptions.
    Partial {
        /// What does not work, e.g. `cheers only: the Draw reward cannot be managed (see the log)`.
        note: &'static str,
    },
    /// Fetching what was missed (after a (re)connect or while the connection is down).
    CatchingUp,
    /// The connection is down; the next attempt starts in `in_secs` seconds.
    Reconnecting {
        /// Seconds until the next attempt (rounded up).
        in_secs: u64,
    },
    /// The platform refused the credentials and refreshing did not help: `draw-stream login <name>`.
    LoginNeeded,
    /// `run` has returned.
    Stopped,
}

impl Status {
    /// Whether donations currently arrive in real time.
    pub fn is_live(&self) -> bool {
        matches!(self, Status::Live)
    }

    /// Whether it waits for the streamer (a login, a setting) rather than for time to pass.
    pub fn needs_streamer(&self) -> bool {
        matches!(self, Status::LoginNeeded | Status::Stopped | Status::Partial { .. })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Disabled => f.write_str("off"),
            Status::Connecting => f.write_str("connecting"),
            Status::Live => f.write_str("live"),
            Status::Partial { note } => write!(f, "live, {note}"),
            Status::CatchingUp => f.write_str("catching up"),
            Status::Reconnecting { in_secs } => write!(f, "reconnecting in {in_secs} s"),
            Status::LoginNeeded => f.write_str("login needed"),
            Status::Stopped => f.write_str("stopped"),
        }
    }
}

/// Why the sink could not record a donation or the watermark. Every sink error is transient for
/// the source: the donation stays unconfirmed (above the watermark, unacknowledged) and is
/// delivered again later.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    message: String,
}

impl SinkError {
    /// A sink error with a human-readable reason.
    pub fn new(message: impl Into<String>) -> Self {
        SinkError { message: message.into() }
    }
}

/// What the sink did with a delivered donation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Committed for the first time.
    New,
    /// Already in the journal (a redelivery); nothing changed.
    Duplicate,
    /// Not a valid donation (e.g. no usable amount); kept in the journal as `failed` with the reason,
    /// so it is visible and never redelivered as new.
    Malformed,
}

/// The journal, as a source sees it. One sink per source: the watermark is that source's own.
///
/// `deliver` may be called concurrently (a live event while a catch-up writes). A call abandoned at
/// shutdown (its future dropped) or answered `Err` is harmless: deliver it again later.
#[async_trait]
pub trait Sink: Send + Sync {
    /// Durably records the donation (deduplicated on `(source, source_id)`) BEFORE returning Ok.
    /// A message over the journal's limit is cut, not refused: the donor paid.
    async fn deliver(&self, donation: Incoming) -> Result<Delivery, SinkError>;
    /// This source's catch-up position (opaque to the sink), `None` before it was ever stored.
    async fn load_watermark(&self) -> Result<Option<String>, SinkError>;
    /// Persists the catch-up position. Store it only after everything up to it was delivered.
    async fn store_watermark(&self, value: &str) -> Result<(), SinkError>;
    /// The platform took a donation back before it was drawn (a moderator refunded a Twitch
    /// redemption from the reward queue): if it is still waiting, it is not drawn, and its platform
    /// is not told again. Answers whether a waiting donation was withdrawn; a sink that keeps
    /// nothing answers `Ok(false)`.
    async fn withdraw(&self, _source_id: &str, _reason: &str) -> Result<bool, SinkError> {
        Ok(false)
    }
}

/// How a donation ended, for sources that tell their platform (Twitch redemptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Drawn and shown on stream.
    Drawn,
    /// Refused by moderation (or denied by the streamer).
    Refused,
    /// Not drawn by the streamer's drawing rules (below the minimum, no trigger word).
    Ignored,
    /// Removed by the streamer (`clear`, skip) before it was drawn.
    Cleared,
    /// The pipeline gave up on it (a card was shown).
    Failed,
}

/// One finished donation to report back to its platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// The source's own id, as it was delivered.
    pub source_id: String,
    /// The `message_type` it was delivered with (e.g. Twitch `redemption` vs `cheer`).
    pub message_type: String,
    pub outcome: Outcome,
}

/// Why a settlement did not reach the platform.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SettleError {
    /// Try again later (network, 5xx, rate limit, not logged in yet).
    #[error("{0}")]
    Retry(String),
    /// It never will (e.g. the redemption is gone or was already settled by someone else): the
    /// service records the reason and stops trying.
    #[error("{0}")]
    Permanent(String),
}

/// Why a source stopped for good (a fault the streamer must fix; transient trouble is retried inside).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    message: String,
}

impl SourceError {
    /// A source error with a human-readable reason that names what to fix.
    pub fn new(message: impl Into<String>) -> Self {
        SourceError { message: message.into() }
    }
}

/// A donation source. The service builds each configured source from its configuration section,
/// runs it with a sink, watches its status, and settles its finished donations.
#[async_trait]
pub trait DonationSource: Send + Sync + 'static {
    /// The journal's `source` name (`donationalerts`, `twitch`, …).
    fn name(&self) -> Source;
    /// The name a streamer reads on the HUD and the panel (`Donation Alerts`, `Twitch`, …).
    fn label(&self) -> &'static str;
    /// Delivers donations until `shutdown` is cancelled, publishing what it is doing on `status`.
    /// Transient trouble (a dropped socket, a 5xx) is retried inside; returns `Err` only for a
    /// fault the streamer must fix.
    async fn run(
        self: Arc<Self>,
        sink: Arc<dyn Sink>,
        status: watch::Sender<Status>,
        shutdown: CancellationToken,
    ) -> Result<(), SourceError>;
    /// Whether [`DonationSource::settle`] should be called for this source's finished donations.
    fn settles(&self) -> bool {
        false
    }
    /// Tells the platform how a donation ended. Called at least once per finished donation (again
    /// after a crash before it was recorded), so it must be idempotent.
    async fn settle(&self, _settlement: &Settlement) -> Result<(), SettleError> {
        Ok(())
    }
}

/// One configuration key of a source: its name (the `.env` / environment name; TOML uses it in
/// lower case), its default (`None` = unset) and a one-line description for the README and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    pub default: Option<&'static str>,
    pub doc: &'static str,
}

/// A bad configuration value: which key, and what is wrong with it (the service adds where it was set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: &'static str,
    pub message: String,
}

impl ConfigProblem {
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        ConfigProblem { key, message: message.into() }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every problem of a section on one line: `KEY: what is wrong; KEY2: …`.
pub fn describe_problems(problems: &[ConfigProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// The streamer's value for a key (trimmed, never empty; defaults are not filled in).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What building a source from its section gives: the source (`None` when it is not configured),
/// or every problem with its keys.
pub type Built = Result<Option<Arc<dyn DonationSource>>, Vec<ConfigProblem>>;

/// What the service needs to know about a kind of source: it lists these in one place.
#[derive(Clone, Copy)]
pub struct SourceKind {
    pub name: Source,
    pub label: &'static str,
    /// Every key of this source's configuration section.
    pub keys: &'static [Key],
    /// Whether the streamer configured this source (credentials set, or a saved login in
    /// `data_dir`); an unconfigured service runs the demo.
    pub configured: fn(Lookup<'_>, &Path) -> bool,
    /// Builds the source from its section (`data_dir` holds its token files); `Ok(None)` when it is
    /// not configured. Every bad key is reported, not just the first.
    pub build: fn(Lookup<'_>, &Path) -> Built,
}

impl fmt::Debug for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceKind").field("name", &self.name).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hud_text() {
        assert_eq!(Status::Live.to_string(), "live");
        assert_eq!(Status::CatchingUp.to_string(), "catching up");
        assert_eq!(Status::Reconnecting { in_secs: 5 }.to_string(), "reconnecting in 5 s");
        assert_eq!(Status::LoginNeeded.to_string(), "login needed");
        assert!(Status::Live.is_live() && !Status::Connecting.is_live());
        let partial = Status::Partial { note: "cheers only" };
        assert_eq!(partial.to_string(), "live, cheers only");
        assert!(!partial.is_live(), "the panel must not show a half-working source as fine");
    }
}
