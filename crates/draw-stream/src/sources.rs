//! Donation sources beyond the API and the demo: Donation Alerts, when configured.
//!
//! The `donationalerts` crate delivers every donation at least once, oldest first; the journal's
//! `(source, source_id)` key makes that exactly once. The watermark lives in the journal too, so it
//! moves in step with what was really committed.

use std::sync::Arc;

use async_trait::async_trait;
use donationalerts::{DaConfig, DaDonation, DaTuning, DonationSink, IntakeStatus, SinkError};

use crate::app::App;
use crate::config::Settings;
use crate::intake::{self, Incoming, MAX_MESSAGE_CHARS};
use crate::journal::{FailedDonation, Source};

const WATERMARK_KEY: &str = "donationalerts.watermark";

/// The Donation Alerts settings, from the service settings.
pub fn da_config(s: &Settings) -> DaConfig {
    DaConfig {
        ws_url: s.da_ws_url.clone(),
        api_base: s.da_api_base.clone(),
        oauth_base: s.da_oauth_base.clone(),
        access_token: s.da_access_token.clone(),
        user_id: s.da_user_id,
        client_id: s.da_client_id.clone(),
        client_secret: s.da_client_secret.clone(),
        poll_interval: s.da_rest_poll_interval,
        safety_net_interval: std::time::Duration::from_secs(300),
        token_file: s.data_dir.join(crate::config::DA_TOKEN_FILE),
        tuning: DaTuning::default(),
    }
}

/// The journal as Donation Alerts' sink.
struct JournalSink {
    app: Arc<App>,
}

#[async_trait]
impl DonationSink for JournalSink {
    async fn deliver(&self, d: DaDonation) -> Result<(), SinkError> {
        let id = d.id;
        // A message over the limit is cut, not refused: the donor paid, the request stays.
        let message: String = d.message.chars().take(MAX_MESSAGE_CHARS).collect();
        let incoming = Incoming {
            source: Source::DONATION_ALERTS,
            source_id: id.to_string(),
            donor: d.donor.clone(),
            message,
            amount: d.amount.clone(),
            currency: d.currency.clone(),
            amount_user: d.amount_in_user_currency.clone(),
            message_type: d.message_type.clone(),
        };
        match intake::admit(&self.app, incoming, true).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(invalid)) => {
                // Malformed at the source (e.g. no usable amount): keep it visible, never lose it.
                tracing::warn!(donation_alerts_id = id, error = %invalid, "malformed Donation Alerts donation");
                let reason = format!("malformed donation from Donation Alerts: {invalid}");
                let donor = d.donor.unwrap_or_default();
                let message: String = d.message.chars().take(MAX_MESSAGE_CHARS).collect();
                let masked = self.app.rules.moderator().check_donation(&donor, &message);
                let failed = FailedDonation {
                    source: Source::DONATION_ALERTS,
                    source_id: id.to_string(),
                    donor_masked: masked.donor_masked,
                    message_masked: masked.message.masked,
                    donor,
                    message,
                    reason,
                };
                self.app
                    .journal
                    .call(move |j| j.insert_failed(&failed))
                    .await
                    .map(|_| ())
                    .map_err(|e| SinkError::new(format!("journal: {e}")))
            }
            Err(e) => Err(SinkError::new(format!("journal: {e}"))),
        }
    }

    async fn load_watermark(&self) -> Result<Option<i64>, SinkError> {
        let v =
            self.app.journal.call(|j| j.meta_get(WATERMARK_KEY)).await.map_err(|e| SinkError::new(e.to_string()))?;
        Ok(v.and_then(|s| s.parse().ok()))
    }

    async fn store_watermark(&self, id: i64) -> Result<(), SinkError> {
        self.app
            .journal
            .call(move |j| j.meta_set(WATERMARK_KEY, &id.to_string()))
            .await
            .map_err(|e| SinkError::new(e.to_string()))
    }
}

/// Starts the configured sources on `tasks`.
pub fn spawn(app: &Arc<App>, tasks: &mut tokio::task::JoinSet<()>) {
    let cfg = da_config(&app.settings);
    if !cfg.is_configured() {
        return;
    }
    let (tx, mut rx) = tokio::sync::watch::channel(IntakeStatus::Connecting);
    let sink: Arc<dyn DonationSink> = Arc::new(JournalSink { app: app.clone() });
    let shutdown = app.shutdown.clone();
    tasks.spawn(async move {
        if let Err(e) = donationalerts::run(cfg, sink, tx, shutdown).await {
            tracing::error!(error = %e, "Donation Alerts intake stopped");
        }
    });
    let app = app.clone();
    tasks.spawn(async move {
        loop {
            let text = format!("Donation Alerts: {}", *rx.borrow_and_update());
            app.health.write().unwrap_or_else(|p| p.into_inner()).intake = Some(text);
            if rx.changed().await.is_err() {
                break;
            }
        }
    });
}

/// `draw-stream login donationalerts`.
pub async fn login(s: &Settings, open_browser: bool, port: u16) -> anyhow::Result<()> {
    let cfg = da_config(s);
    donationalerts::login(&cfg, open_browser, port).await?;
    println!("Logged in to Donation Alerts; tokens saved in {}", cfg.token_file.display());
    Ok(())
}
