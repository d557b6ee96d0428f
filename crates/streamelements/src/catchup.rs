//! The REST catch-up: `GET {api}/tips/{channel}?sort=createdAt&after=…`, oldest first, paged with
//! `offset` until `offset + len(docs) >= total`.
//!
//! # The watermark
//!
//! An opaque string to the sink: the `createdAt` (ISO 8601, ms) of a tip such that every tip
//! created at or before it is settled: confirmed by the sink (`deliver` answered `Ok`), or never to
//! be drawn (`deleted`, `rejected`). Only this module moves it, only forward, and only after the sink
//! confirmed. The socket never moves it (a live tip says nothing about the ones the socket missed).
//!
//! Its form is `<createdAt>` or `<createdAt> <id>,<id>,…`: the ids are the tips of that very
//! millisecond that are already settled.
//!
//! * Equal timestamps: the next catch-up asks for `after = watermark − 1 ms`, so tips created in
//!   the watermark's own millisecond are fetched again; those listed in the watermark are skipped,
//!   the others are delivered (and the sink's dedupe drops any it already has).
//! * A `pending` tip holds the watermark just before itself, so that a later catch-up sees it once
//!   it is `allowed`. It stops holding it once a tip [`crate::SeTuning::pending_window`] newer exists.
//! * First start (no watermark): nothing old is drawn; the newest tip's `createdAt` with the ids of
//!   every tip of that millisecond (the epoch when the channel has no tip yet) becomes the watermark.

use std::collections::HashSet;
use std::sync::Arc;

use source::{Incoming, SinkError};

use crate::api::ApiError;
use crate::supervisor::Shared;
use crate::tip::{format_iso_ms, parse_iso_ms, parse_tip, Approval, Tip};

/// How many ids the sink confirmed during this `run` are remembered: a catch-up does not hand them
/// over again.
pub(crate) const CONFIRMED_CAP: usize = 10_000;

/// Why a catch-up stopped early. The watermark stays at the last settled tip.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CatchUpError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("sink: {0}")]
    Sink(#[from] SinkError),
}

impl CatchUpError {
    pub(crate) fn is_login_needed(&self) -> bool {
        matches!(self, CatchUpError::Api(ApiError::Unauthorized(_)))
    }
}

/// What one catch-up did.
#[derive(Debug, Default)]
pub(crate) struct CatchUpReport {
    pub(crate) delivered: usize,
    pub(crate) pages: u32,
    pub(crate) watermark: String,
}

/// Hands a drawable tip to the sink unless this run already had it confirmed.
pub(crate) async fn deliver(shared: &Shared, incoming: Incoming) -> Result<bool, SinkError> {
    if shared.confirmed.lock().unwrap_or_else(|p| p.into_inner()).contains(&incoming.source_id) {
        return Ok(false);
    }
    let id = incoming.source_id.clone();
    let outcome = shared.sink.deliver(incoming).await?;
    tracing::debug!(id = %id, ?outcome, "streamelements: tip confirmed by the journal");
    shared.confirmed.lock().unwrap_or_else(|p| p.into_inner()).insert(&id);
    Ok(true)
}

/// Live tips the sink refused, delivered again (oldest first) before anything else.
async fn drain_retry_queue(shared: &Shared) -> Result<(), SinkError> {
    loop {
        let next = shared.retry.lock().unwrap_or_else(|p| p.into_inner()).first().cloned();
        let Some(incoming) = next else { return Ok(()) };
        deliver(shared, incoming).await?;
        shared.retry.lock().unwrap_or_else(|p| p.into_inner()).remove(0);
    }
}

/// Most ids of one millisecond kept in the watermark.
const MAX_IDS_AT: usize = 500;

/// `<createdAt>[ <id>,<id>…]` → (milliseconds, ids settled in that millisecond).
pub(crate) fn parse_watermark(s: &str) -> Option<(i64, HashSet<String>)> {
    let (time, ids) = s.trim().split_once(' ').unwrap_or((s.trim(), ""));
    let ms = parse_iso_ms(time)?;
    Some((ms, ids.split(',').map(str::trim).filter(|i| !i.is_empty()).map(str::to_string).collect()))
}

pub(crate) fn format_watermark(ms: i64, ids: &HashSet<String>) -> String {
    let mut ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.truncate(MAX_IDS_AT);
    if ids.is_empty() {
        format_iso_ms(ms)
    } else {
        format!("{} {}", format_iso_ms(ms), ids.join(","))
    }
}

/// Runs one catch-up.
pub(crate) async fn catch_up(shared: Arc<Shared>) -> Result<CatchUpReport, CatchUpError> {
    drain_retry_queue(&shared).await?;
    let token = shared.token.get();
    let channel = shared.channel(&token).await?;
    let stored = shared.sink.load_watermark().await?;
    let Some((watermark_ms, settled_ids)) = stored.as_deref().and_then(parse_watermark) else {
        if let Some(bad) = &stored {
            tracing::warn!(watermark = %bad, "streamelements: unreadable watermark; starting from the newest tip");
        }
        // The newest tip's millisecond, and every tip of it (paging while a page is all that millisecond).
        let created = |t: &serde_json::Value| t.get("createdAt").and_then(|c| c.as_str()).and_then(parse_iso_ms);
        let mut newest = Vec::new();
        let mut offset = 0u64;
        loop {
            let page = shared.api.newest_tips(&token, &channel, offset).await?;
            let n = page.docs.len() as u64;
            let first_ms = newest.first().or(page.docs.first()).and_then(created);
            let all_same = page.docs.iter().all(|t| created(t) == first_ms);
            newest.extend(page.docs);
            offset += n;
            if n == 0 || !all_same || offset >= page.total || offset >= MAX_IDS_AT as u64 {
                break;
            }
        }
        // No tips yet: the epoch. Tips whose time cannot be read: refuse rather than guess, or the
        // whole history could be drawn on the next catch-up.
        let ms = match newest.first() {
            None => 0,
            Some(t) => created(t).ok_or_else(|| ApiError::Protocol {
                what: "GET /tips (newest)".into(),
                reason: "the newest tip has no readable createdAt",
            })?,
        };
        let ids = newest
            .iter()
            .filter(|t| created(t) == Some(ms))
            .filter_map(|t| t.get("_id").and_then(|i| i.as_str()).map(str::to_string))
            .collect();
        let watermark = format_watermark(ms, &ids);
        shared.sink.store_watermark(&watermark).await?;
        tracing::info!(
            watermark = %watermark,
            "streamelements: first start; tips made before now are not drawn"
        );
        return Ok(CatchUpReport { delivered: 0, pages: 1, watermark });
    };

    let t = &shared.cfg.tuning;
    let mut docs = Vec::new();
    let mut offset = 0u64;
    let mut pages = 0u32;
    loop {
        let page = shared.api.tips_page(&token, &channel, offset, watermark_ms - 1).await?;
        pages += 1;
        let n = page.docs.len() as u64;
        docs.extend(page.docs);
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
        if pages >= t.max_catchup_pages {
            tracing::warn!(pages, "streamelements: catch-up page limit reached; the rest follows on the next one");
            break;
        }
    }
    let mut tips: Vec<Tip> = docs
        .iter()
        .filter_map(|d| match parse_tip(d) {
            Ok(t) => Some(t),
            Err(reason) => {
                tracing::warn!(reason, "streamelements: unreadable tip in the REST list skipped");
                None
            }
        })
        .collect();
    // Oldest first even if the server's sort were off; ties keep the server's order.
    tips.sort_by_key(|t| t.created_ms.unwrap_or(i64::MIN));
    let newest_ms = tips.iter().filter_map(|t| t.created_ms).max().unwrap_or(watermark_ms);
    let window = t.pending_window.as_millis() as i64;

    let mut report = CatchUpReport { pages, ..CatchUpReport::default() };
    let mut settled_to = watermark_ms;
    let mut ids_at = settled_ids.clone();
    let mut held = false;
    let mut failure = None;
    for tip in tips {
        // Only what is at or after the watermark: the server's `after` filter is not trusted alone
        // (a tip from before it, or one with no time to place it by, would replay old history).
        match tip.created_ms {
            Some(c) if c >= watermark_ms => {}
            Some(_) => continue,
            None => {
                tracing::warn!(id = %tip.id, "streamelements: a tip without createdAt in the REST list skipped");
                continue;
            }
        }
        let already = tip.created_ms == Some(watermark_ms) && settled_ids.contains(&tip.id);
        if tip.drawable() && !already {
            match deliver(&shared, tip.incoming).await {
                Ok(new) => report.delivered += usize::from(new),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        } else if tip.approval == Approval::Pending && !tip.deleted && !already {
            let recent = tip.created_ms.is_some_and(|c| newest_ms - c < window);
            if recent && !held {
                tracing::debug!(id = %tip.id, "streamelements: pending tip holds the watermark");
                held = true;
            }
        }
        match (held, tip.created_ms) {
            (false, Some(c)) if c > settled_to => {
                settled_to = c;
                ids_at = HashSet::from([tip.id]);
            }
            (false, Some(c)) if c == settled_to => {
                ids_at.insert(tip.id);
            }
            _ => {}
        }
    }
    report.watermark = format_watermark(settled_to, &ids_at);
    if settled_to > watermark_ms || ids_at.len() > settled_ids.len() {
        shared.sink.store_watermark(&report.watermark).await?;
    }
    if report.delivered > 0 {
        tracing::info!(count = report.delivered, pages, "streamelements: catch-up delivered missed tips");
    }
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_round_trip() {
        let ids: HashSet<String> = ["b".to_string(), "a".to_string()].into();
        let w = format_watermark(1_739_977_629_302, &ids);
        assert_eq!(w, "2025-02-19T15:07:09.302Z a,b");
        assert_eq!(parse_watermark(&w), Some((1_739_977_629_302, ids)));
        assert_eq!(parse_watermark("2025-02-19T15:07:09.302Z"), Some((1_739_977_629_302, HashSet::new())));
        assert_eq!(format_watermark(0, &HashSet::new()), "1970-01-01T00:00:00.000Z");
        assert_eq!(parse_watermark("garbage"), None);
    }
}
