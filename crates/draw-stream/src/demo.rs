//! The demo feed: sample donations (English and Russian, one that must be refused) that flow
//! through every stage when nothing is configured, so a fresh clone shows the whole product.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::intake::{self, Incoming};
use crate::journal::Source;

/// (donor, amount, currency, message)
pub const SAMPLES: &[(&str, &str, &str, &str)] = &[
    ("CozyFox", "25", "USD", "Draw a fox sleeping in the snow"),
    ("Маша", "300", "RUB", "Нарисуй кота в космосе"),
    ("NeonWhale", "150", "USD", "A cabin under the northern lights"),
    ("Spammer", "1", "USD", "draw a naked woman"),
    ("Дед Мороз", "500", "RUB", "Нарисуй замок на горе ночью"),
    ("PixelPal", "10", "EUR", "a little boat on a calm sea"),
];

/// Adds the next sample whenever fewer than two donations are waiting, until shutdown.
pub async fn run(app: Arc<App>) {
    let run_id = format!("{:08x}", rand::random::<u32>());
    let mut n = 0usize;
    loop {
        let waiting = app.snapshot.read().map(|s| s.upcoming.len()).unwrap_or(0);
        if waiting < 2 {
            let (donor, amount, currency, message) = SAMPLES[n % SAMPLES.len()];
            let incoming = Incoming {
                source: Source::DEMO,
                source_id: format!("{run_id}-{n}"),
                donor: Some(donor.into()),
                message: message.into(),
                amount: amount.into(),
                currency: currency.into(),
                amount_user: None,
                message_type: "text".into(),
            };
            match intake::admit(&app, incoming, false).await {
                Ok(Ok(_)) => n += 1,
                Ok(Err(e)) => tracing::error!(error = %e, "demo sample rejected"),
                Err(e) => tracing::warn!(error = %e, "journal unavailable; demo retries"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3)) => {}
            _ = app.shutdown.cancelled() => break,
        }
    }
}
