//! The demo feed: sample donations (English and Russian, one that must be refused) that flow
//! through every stage when nothing is configured, so a fresh clone shows the whole product. It is a
//! source like the platforms ([`source::DonationSource`], source `demo`), labelled DEMO on screen.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use source::{watch, CancellationToken, DonationSource, Incoming, Sink, SourceError, Status};

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

/// Adds the next sample whenever fewer than two donations are waiting.
pub struct DemoFeed {
    waiting: Box<dyn Fn() -> usize + Send + Sync>,
}

impl DemoFeed {
    /// `waiting` counts the donations still to be shown.
    pub fn new(waiting: impl Fn() -> usize + Send + Sync + 'static) -> DemoFeed {
        DemoFeed { waiting: Box::new(waiting) }
    }
}

#[async_trait]
impl DonationSource for DemoFeed {
    fn name(&self) -> Source {
        Source::DEMO
    }

    fn label(&self) -> &'static str {
        "Demo"
    }

    async fn run(
        self: Arc<Self>,
        sink: Arc<dyn Sink>,
        status: watch::Sender<Status>,
        shutdown: CancellationToken,
    ) -> Result<(), SourceError> {
        status.send_replace(Status::Live);
        let run_id = format!("{:08x}", rand::random::<u32>());
        let mut n = 0usize;
        loop {
            if (self.waiting)() < 2 {
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
                match sink.deliver(incoming).await {
                    Ok(_) => n += 1,
                    Err(e) => tracing::warn!(error = %e, "journal unavailable; demo retries"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(3)) => {}
                _ = shutdown.cancelled() => break,
            }
        }
        status.send_replace(Status::Stopped);
        Ok(())
    }
}
