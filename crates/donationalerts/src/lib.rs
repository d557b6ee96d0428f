//! Donation Alerts (DA) intake for Draw Stream: every donation, at least once, with no gaps.
//!
//! The service hands [`run`] a [`DonationSink`] (the journal). `run` keeps a live Centrifugo
//! WebSocket subscription to the streamer's `$alerts:donation_<id>` channel and, around it, a REST
//! catch-up on `/alerts/donations` that follows pages back to a persisted watermark. The socket gives
//! latency; the REST catch-up gives completeness. Exactly-once is the sink's job (it dedupes on the
//! DA donation id); this crate's job is at-least-once, oldest first, with no gaps.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use donationalerts::{async_trait, DaConfig, DaDonation, DonationSink, IntakeStatus, SinkError};
//!
//! struct Journal; // the service's SQLite journal
//!
//! #[async_trait]
//! impl DonationSink for Journal {
//!     async fn deliver(&self, d: DaDonation) -> Result<(), SinkError> {
//!         // INSERT OR IGNORE … (source = 'donationalerts', source_id = d.id), committed before Ok.
//!         Ok(())
//!     }
//!     async fn load_watermark(&self) -> Result<Option<i64>, SinkError> { Ok(None) }
//!     async fn store_watermark(&self, _id: i64) -> Result<(), SinkError> { Ok(()) }
//! }
//!
//! # async fn example() -> Result<(), donationalerts::IntakeError> {
//! let cfg = DaConfig::from_lookup(|k| std::env::var(k).ok(), std::path::Path::new("/var/lib/draw-stream"))?;
//! let (status, hud) = tokio::sync::watch::channel(IntakeStatus::Connecting);
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! let intake = tokio::spawn(donationalerts::run(cfg, Arc::new(Journal), status, shutdown.clone()));
//! println!("donations: {}", *hud.borrow()); // "live", "reconnecting in 5 s", "login needed", …
//! shutdown.cancel();
//! intake.await.expect("intake task")?;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! * `config` — [`DaConfig`] and [`DaTuning`]: where DA lives, credentials, and every timer.
//! * `donation` — [`DaDonation`]: the lenient parse of a donation object (WS and REST share it).
//! * `sink` — the [`DonationSink`] trait the service implements (durable, deduplicating).
//! * `status` — [`IntakeStatus`], the one-line state shown on the HUD and `/health`.
//! * `limiter` — the single rate limiter every DA HTTP call passes through (≤ 1 request / 1.05 s).
//! * `token` — the token file (`donationalerts-token.json`, mode 0600) and token refresh.
//! * `api` — the DA REST calls: `/user/oauth`, `/centrifuge/subscribe`, `/alerts/donations`, with
//!   429 `Retry-After` handling and "refresh once on 401".
//! * `centrifugo` — frames of the legacy Centrifugo v2 JSON protocol DA runs (2.2.1).
//! * `catchup` — the REST catch-up: pages back to the watermark, delivers oldest first, advances the
//!   watermark only after the sink confirmed each donation.
//! * `session` — one WebSocket session: connect, subscribe, pings, silence detection, publications.
//! * `supervisor` — [`run`]: the reconnect loop with backoff and jitter, down-time polling and the
//!   "login needed" wait.
//! * `oauth` — [`login`]: the authorization-code flow with a loopback callback.
//! * `seam` — [`DonationAlerts`] on the service's source seam ([`source::DonationSource`]), with its
//!   configuration section ([`KEYS`], [`KIND`]).
//!
//! # The sequence (see the crate README for the full table)
//!
//! ```text
//! GET  {api}/user/oauth                 -> user id + socket_connection_token
//! WS   {"params":{"token":…},"id":1}    -> {"id":1,"result":{"client":<uuid>}}
//! POST {api}/centrifuge/subscribe       -> channel token bound to that client id
//! WS   {"params":{"channel":…,"token":…},"method":1,"id":2}
//! WS   <- publications {"result":{"channel":…,"data":{"data":<donation>}}}
//! GET  {api}/alerts/donations?page=N    after every subscribe, while down, and as a safety net
//! ```
//!
//! # States
//!
//! ```text
//! Disabled (no credentials at all)
//! Connecting -> CatchingUp -> Live -> (drop) -> Reconnecting{in_secs} -> Connecting …
//!      any 401 that one refresh cannot cure -> LoginNeeded -> (token file changes) -> Connecting
//! shutdown -> Stopped
//! ```

mod api;
mod catchup;
mod centrifugo;
mod config;
mod donation;
mod error;
mod limiter;
mod oauth;
mod seam;
mod session;
mod sink;
mod status;
mod supervisor;
mod token;

/// Re-exported so the service can implement [`DonationSink`] without its own dependency.
pub use async_trait::async_trait;
pub use config::{DaConfig, DaTuning};
pub use donation::DaDonation;
pub use error::IntakeError;
pub use oauth::{authorize_url, login, login_with, LoginOptions, SCOPES};
pub use seam::{incoming, DonationAlerts, KEYS, KIND, NAME};
pub use sink::{DonationSink, SinkError};
pub use status::IntakeStatus;
pub use supervisor::run;
pub use token::{StoredToken, TokenFile};
