//! Runs each configured source: its loop with the journal as its sink, its status in `/health`
//! (`sources.<name>`), the HUD and the panel, and — for sources that report back (Twitch
//! redemptions) — the settlement of its finished donations from the journal's outbox.
//!
//! The sink dedupes on `(source, source_id)` and keeps each source's watermark in the journal, so a
//! source only has to deliver at least once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use source::{Delivery, DonationSource, Incoming, Outcome, SettleError, Settlement, Sink, SinkError, Status};

use crate::app::{App, SourceHealth};
use crate::intake::{self, MAX_MESSAGE_CHARS};
use crate::journal::{FailedDonation, Source, State};

/// The journal as one source's sink.
pub struct JournalSink {
    app: Arc<App>,
    source: Source,
}

impl JournalSink {
    pub fn new(app: Arc<App>, source: Source) -> JournalSink {
        JournalSink { app, source }
    }

    fn watermark_key(&self) -> String {
        format!("{}.watermark", self.source.as_str())
    }

    /// Keeps a malformed donation visible as `failed` with the reason: never lost, never redelivered as new.
    async fn keep_malformed(&self, d: Incoming, why: String) -> Result<Delivery, SinkError> {
        let donor = d.donor.unwrap_or_default();
        let masked = self.app.rules.moderator().check_donation(&donor, &d.message);
        let failed = FailedDonation {
            source: self.source,
            source_id: d.source_id,
            donor_masked: masked.donor_masked,
            message_masked: masked.message.masked,
            donor,
            message: d.message,
            reason: format!("malformed donation from {}: {why}", self.source.as_str()),
        };
        self.app
            .journal
            .call(move |j| j.insert_failed(&failed))
            .await
            .map_err(|e| SinkError::new(format!("journal: {e}")))?;
        Ok(Delivery::Malformed)
    }
}

#[async_trait]
impl Sink for JournalSink {
    async fn deliver(&self, mut d: Incoming) -> Result<Delivery, SinkError> {
        if d.source != self.source {
            return Err(SinkError::new(format!(
                "{} delivered a donation of {}",
                self.source.as_str(),
                d.source.as_str()
            )));
        }
        // A message over the limit is cut, not refused: the donor paid, the request stays.
        d.message = d.message.chars().take(MAX_MESSAGE_CHARS).collect();
        match intake::admit(&self.app, d.clone(), true).await {
            Ok(Ok(inserted)) if inserted.new => Ok(Delivery::New),
            Ok(Ok(_)) => Ok(Delivery::Duplicate),
            Ok(Err(invalid)) => {
                tracing::warn!(source = self.source.as_str(), source_id = %d.source_id, error = %invalid, "malformed donation");
                self.keep_malformed(d, invalid.to_string()).await
            }
            Err(e) => Err(SinkError::new(format!("journal: {e}"))),
        }
    }

    async fn load_watermark(&self) -> Result<Option<String>, SinkError> {
        let key = self.watermark_key();
        self.app.journal.call(move |j| j.meta_get(&key)).await.map_err(|e| SinkError::new(e.to_string()))
    }

    async fn store_watermark(&self, value: &str) -> Result<(), SinkError> {
        let (key, value) = (self.watermark_key(), value.to_owned());
        self.app.journal.call(move |j| j.meta_set(&key, &value)).await.map_err(|e| SinkError::new(e.to_string()))
    }

    async fn withdraw(&self, source_id: &str, reason: &str) -> Result<bool, SinkError> {
        let (source, id, why) = (self.source, source_id.to_owned(), reason.to_owned());
        let withdrawn = self
            .app
            .journal
            .call(move |j| j.withdraw(source, &id, &why))
            .await
            .map_err(|e| SinkError::new(format!("journal: {e}")))?;
        if let Some(donation) = withdrawn {
            tracing::info!(donation, source = source.as_str(), reason, "donation withdrawn on its platform; not drawn");
        }
        Ok(withdrawn.is_some())
    }
}

/// Starts each source on `tasks`: its run loop, its status, and its settlements.
pub fn spawn(
    app: &Arc<App>,
    sources: impl IntoIterator<Item = Arc<dyn DonationSource>>,
    tasks: &mut tokio::task::JoinSet<()>,
) {
    for src in sources {
        let name = src.name().as_str();
        let (tx, mut rx) = tokio::sync::watch::channel(Status::Connecting);
        let sink: Arc<dyn Sink> = Arc::new(JournalSink::new(app.clone(), src.name()));
        let shutdown = app.shutdown.clone();
        let label = src.label();
        let runner = src.clone();
        tasks.spawn(async move {
            if let Err(e) = runner.run(sink, tx, shutdown).await {
                tracing::error!(source = name, error = %e, "{label} intake stopped");
            }
        });
        // The demo feed is not a platform: `/health` `demo` and the DEMO badge say it runs.
        if src.name() != Source::DEMO {
            let status_app = app.clone();
            tasks.spawn(async move {
                loop {
                    let status = *rx.borrow_and_update();
                    let line = SourceHealth {
                        label,
                        status: status.to_string(),
                        live: status.is_live(),
                        needs_streamer: status.needs_streamer(),
                    };
                    status_app.health.write().unwrap_or_else(|p| p.into_inner()).set_source(name, line);
                    if rx.changed().await.is_err() {
                        break;
                    }
                }
            });
        }
        if src.settles() {
            let app = app.clone();
            tasks.spawn(async move { settle_loop(app, src).await });
        }
    }
}

/// How a finished state is reported to the platform.
fn outcome(state: State) -> Outcome {
    match state {
        State::Shown => Outcome::Drawn,
        State::Refused => Outcome::Refused,
        State::Ignored => Outcome::Ignored,
        State::Cleared | State::Skipped => Outcome::Cleared,
        _ => Outcome::Failed,
    }
}

/// Tells the platform how each finished donation ended, from the journal's outbox: at least once,
/// in order, retried with backoff; a crash before the answer was recorded means telling it again.
async fn settle_loop(app: Arc<App>, src: Arc<dyn DonationSource>) {
    let name = src.name();
    let mut backoff = Duration::from_secs(1);
    loop {
        let rows = match app.journal.call(move |j| j.unsettled(name, 50)).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(source = name.as_str(), error = %e, "cannot read finished donations to settle");
                Vec::new()
            }
        };
        let mut retry = false;
        for row in &rows {
            let s = Settlement {
                source_id: row.source_id.clone(),
                message_type: row.message_type.clone(),
                outcome: outcome(row.state),
            };
            let note = match src.settle(&s).await {
                Ok(()) => format!("{:?}", s.outcome).to_lowercase(),
                Err(SettleError::Permanent(why)) => {
                    tracing::warn!(source = name.as_str(), donation = row.id, reason = %why, "cannot settle; giving up");
                    format!("not settled: {why}")
                }
                Err(SettleError::Retry(why)) => {
                    tracing::info!(source = name.as_str(), donation = row.id, reason = %why, "settlement retried later");
                    retry = true;
                    break;
                }
            };
            let id = row.id;
            if let Err(e) = app.journal.call(move |j| j.mark_settled(id, &note)).await {
                tracing::warn!(source = name.as_str(), donation = id, error = %e, "settled, but cannot record it");
                retry = true;
                break;
            }
        }
        let wait = if retry {
            backoff = (backoff * 2).min(Duration::from_secs(60));
            backoff
        } else {
            backoff = Duration::from_secs(1);
            if rows.len() == 50 {
                continue;
            }
            // An indexed look at the outbox: cheap enough to keep "fulfilled once drawn" within seconds.
            Duration::from_secs(2)
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = app.shutdown.cancelled() => return,
        }
    }
}
