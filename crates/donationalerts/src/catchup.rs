//! The REST catch-up: read `/alerts/donations` back to the watermark and deliver what is newer,
//! oldest first.
//!
//! The watermark is the highest DA id such that it and everything older has been delivered. Only
//! this module moves it, and only after the sink confirmed each donation: the socket delivers
//! live donations but never moves it (a live donation says nothing about the ones the socket
//! missed). On the very first start (no watermark) the newest id becomes the watermark and nothing
//! old is delivered.
//!
//! DA does not document the list order; it is newest first in practice. The order of page 1
//! decides the direction: newest first → pages 1, 2, … until a page holds an id at or below the
//! watermark; oldest first → from the last page backwards. Ids are sorted before delivery either way.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::api::{Api, Page};
use crate::donation::{as_i64, DaDonation};
use crate::error::IntakeError;
use crate::sink::DonationSink;

/// What one catch-up did.
#[derive(Debug, Default, Clone)]
pub(crate) struct CatchUpReport {
    /// Ids delivered, ascending.
    pub(crate) delivered: Vec<i64>,
    /// The watermark afterwards.
    pub(crate) watermark: i64,
    /// Pages read.
    pub(crate) pages: u32,
}

fn item_id(item: &Value) -> Option<i64> {
    item.get("id").and_then(as_i64)
}

fn reaches(page: &Page, watermark: i64) -> bool {
    page.items.iter().filter_map(item_id).any(|id| id <= watermark)
}

fn collect(page: &Page, watermark: i64, into: &mut BTreeMap<i64, Value>) {
    for item in &page.items {
        match item_id(item) {
            Some(id) if id > watermark => {
                into.entry(id).or_insert_with(|| item.clone());
            }
            Some(_) => {}
            None => tracing::warn!("donationalerts: REST item without an id skipped"),
        }
    }
}

/// Runs one catch-up. Errors leave the watermark at the last donation the sink confirmed.
pub(crate) async fn catch_up(api: &Api, sink: &dyn DonationSink, max_pages: u32) -> Result<CatchUpReport, IntakeError> {
    let watermark = sink.load_watermark().await?;
    let first = api.donations_page(1).await?;
    let Some(watermark) = watermark else {
        let newest = first.items.iter().filter_map(item_id).max().unwrap_or(0);
        sink.store_watermark(newest).await?;
        tracing::info!(
            watermark = newest,
            "donationalerts: first start; the newest donation id becomes the watermark, nothing older is drawn"
        );
        return Ok(CatchUpReport { delivered: Vec::new(), watermark: newest, pages: 1 });
    };

    let ids: Vec<i64> = first.items.iter().filter_map(item_id).collect();
    let ascending = ids.len() >= 2 && ids.first() < ids.last();
    let mut found = BTreeMap::new();
    let mut pages = 1u32;
    let mut reached = reaches(&first, watermark);
    collect(&first, watermark, &mut found);

    if !ascending {
        let mut page = 1u64;
        let mut has_next = first.has_next;
        while !reached && has_next && pages < max_pages {
            page += 1;
            let p = api.donations_page(page).await?;
            pages += 1;
            if p.items.is_empty() {
                break;
            }
            reached = reaches(&p, watermark);
            has_next = p.has_next;
            collect(&p, watermark, &mut found);
        }
    } else if let Some(last) = first.last_page.filter(|l| *l > 1) {
        let mut page = last;
        reached = false;
        while page > 1 && pages < max_pages {
            let p = api.donations_page(page).await?;
            pages += 1;
            let r = reaches(&p, watermark);
            collect(&p, watermark, &mut found);
            if r {
                reached = true;
                break;
            }
            page -= 1;
        }
    }
    if !reached && pages >= max_pages {
        tracing::warn!(
            pages,
            watermark,
            "donationalerts: backlog larger than the page limit; older donations were not fetched"
        );
    }

    let mut report = CatchUpReport { delivered: Vec::with_capacity(found.len()), watermark, pages };
    if !found.is_empty() {
        tracing::info!(
            count = found.len(),
            pages,
            from = watermark,
            "donationalerts: catch-up delivering missed donations"
        );
    }
    for (id, raw) in found {
        let donation = match DaDonation::from_value(raw) {
            Ok(d) => d,
            Err(reason) => {
                tracing::warn!(id, reason, "donationalerts: REST donation skipped");
                continue;
            }
        };
        sink.deliver(donation).await?;
        sink.store_watermark(id).await?;
        report.delivered.push(id);
        report.watermark = id;
    }
    Ok(report)
}
