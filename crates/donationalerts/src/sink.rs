//! The boundary to the service: where donations go and where the watermark lives.

use async_trait::async_trait;

use crate::donation::DaDonation;

/// Why the sink could not record a donation or the watermark: the source seam's error. The intake
/// treats every sink error as transient: the donation stays above the watermark and is delivered
/// again by a later catch-up.
pub use source::SinkError;

/// The journal, as the intake sees it.
///
/// Delivery is at-least-once: the same donation may be delivered twice (once from the socket, once
/// from a REST catch-up), so `deliver` must dedupe on [`DaDonation::id`] (the journal's
/// `(source = "donationalerts", source_id)` key) and answer `Ok` for a duplicate.
///
/// Two `deliver` calls can be in flight at once (a live donation while a safety-net catch-up is
/// writing). A call is abandoned (its future dropped) only at shutdown; an `Err` or an abandoned
/// call is harmless: the donation stays above the watermark and a later catch-up delivers it.
#[async_trait]
pub trait DonationSink: Send + Sync {
    /// Durably records the donation (deduplicated by id) BEFORE returning Ok; duplicates return Ok.
    async fn deliver(&self, donation: DaDonation) -> Result<(), SinkError>;
    /// The highest DA donation id known to be delivered with everything below it; `None` on the
    /// very first start (then the current newest id becomes the watermark and nothing old is drawn).
    async fn load_watermark(&self) -> Result<Option<i64>, SinkError>;
    /// Persists the watermark. Called only after every donation up to `id` was delivered.
    async fn store_watermark(&self, id: i64) -> Result<(), SinkError>;
}
