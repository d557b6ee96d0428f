//! Draw Stream: viewers' donations become moderated, generated pixel art, drawn live on stream.
//!
//! # Layout
//!
//! A donation's path through this crate, in order:
//!
//! * [`sources`] — the one list of donation sources (each its own crate behind `source::DonationSource`);
//!   [`feeds`] runs the configured ones with the journal as their sink, shows their status and
//!   settles their finished donations with the platform.
//! * [`intake`] — the one door for every source (the control API, the [`demo`] feed, the [`feeds`]): validates, masks for display (with the streamer's [`rules`]), applies the
//!   streamer's [`draw_rules`] (minimum, priority tier, trigger, fairness), and commits to the
//!   [`journal`] before anything acknowledges it.
//! * [`journal`] — SQLite (WAL) state machine of every donation; the docs there draw the states and
//!   who moves a row between them. Crash recovery, dedupe and the show log live there.
//! * [`pipeline`] — supervised stage workers: moderate (the `moderation` crate), plan
//!   (`generation::ScenePlanner`), generate (`generation::ImageBackend`, with bounded look-ahead),
//!   convert ([`convert`]: `pixelize` + `brush` into a `canvas` document).
//! * [`show`] — the show loop: one drawing or card at a time, the hold timer, skip/pause/hide;
//!   publishes a [`snapshot`].
//! * [`stage`] — renders the snapshot: a window (the `window` and `hud` crates) or headless.
//! * [`api`] — the control API (axum) with token auth ([`http`]: its error answer and token check); [`web`] — the overlay, panel and gallery pages;
//!   [`gallery`] — PNG/GIF of every shown drawing; [`cli`] — the command line and API client.
//! * [`app`] — the state all tasks share; [`service`] — start-up and graceful shutdown;
//!   [`config`] — TOML + environment settings with every original name; [`models`] — builds the
//!   LLM and image-server seams; [`storage`] — what happens when the disk is full or read-only;
//!   [`secrets`], [`logging`].
//!
//! Modules depend one way: [`app`] (the shared state) uses no module that uses it; the loops that
//! need the whole app live in [`service`], [`show`], [`pipeline`], [`feeds`] and the HTTP layers.

pub mod api;
pub mod app;
pub mod cards;
pub mod cli;
pub mod config;
pub mod convert;
pub mod demo;
pub mod draw_rules;
pub mod feeds;
pub mod gallery;
pub mod http;
pub mod intake;
/// The journal lives in its own crate (`crates/journal`); re-exported here under its old path.
pub use journal;
pub mod logging;
pub mod memory;
pub mod models;
pub mod pipeline;
pub mod rules;
pub mod secrets;
pub mod service;
pub mod show;
pub mod snapshot;
pub mod sources;
pub mod stage;
pub mod storage;
pub mod web;
