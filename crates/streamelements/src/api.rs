//! The REST calls: `GET {api}/channels/me` (the channel `_id`, nothing else is read or logged) and
//! `GET {api}/tips/{channel}` (one page). 429 waits for `Retry-After`; 401 means "login needed".
//! Errors never carry the token or a response body.

use std::time::Duration;

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::Value;

use crate::config::{is_channel_id, SeConfig};

/// Why a StreamElements call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ApiError {
    /// 401: the token was refused.
    #[error("StreamElements refused the token (HTTP 401) on {0}")]
    Unauthorized(String),
    #[error("StreamElements answered HTTP {status} on {what}")]
    Status { status: u16, what: String },
    #[error("StreamElements kept answering 429 on {0}")]
    RateLimited(String),
    #[error("StreamElements unreachable on {what}: {reason}")]
    Transport { what: String, reason: String },
    #[error("StreamElements protocol on {what}: {reason}")]
    Protocol { what: String, reason: &'static str },
}

/// One page of `GET /tips/{channel}`.
#[derive(Debug)]
pub(crate) struct TipsPage {
    pub(crate) docs: Vec<Value>,
    pub(crate) total: u64,
}

pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    tuning: crate::config::SeTuning,
}

impl Api {
    pub(crate) fn new(cfg: &SeConfig) -> Result<Api, String> {
        let http = reqwest::Client::builder()
            .timeout(cfg.tuning.http_timeout)
            .connect_timeout(cfg.tuning.connect_timeout)
            .user_agent(concat!("draw-stream-streamelements/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Api { http, base: cfg.api_base.clone(), tuning: cfg.tuning.clone() })
    }

    /// The channel `_id` of the token's channel. The reply holds other secrets: it is dropped unread.
    pub(crate) async fn channel_id(&self, token: &str) -> Result<String, ApiError> {
        let what = "GET /channels/me";
        let v = self.get(what, &format!("{}/channels/me", self.base), &[], token).await?;
        v.get("_id")
            .and_then(Value::as_str)
            .filter(|id| is_channel_id(id))
            .map(str::to_ascii_lowercase)
            .ok_or(ApiError::Protocol { what: what.into(), reason: "no channel _id in the reply" })
    }

    /// One page of tips, oldest first, created after `after_ms` (milliseconds since the epoch; ≤ 0: all).
    pub(crate) async fn tips_page(
        &self,
        token: &str,
        channel: &str,
        offset: u64,
        after_ms: i64,
    ) -> Result<TipsPage, ApiError> {
        let what = "GET /tips/{channel}";
        let limit = self.tuning.page_size.clamp(1, 100);
        let mut query =
            vec![("offset", offset.to_string()), ("limit", limit.to_string()), ("sort", "createdAt".to_string())];
        // The epoch watermark (a channel that had no tip at first start): no filter at all.
        if after_ms > 0 {
            query.push(("after", after_ms.to_string()));
        }
        let v = self.get(what, &format!("{}/tips/{channel}", self.base), &query, token).await?;
        self.page(what, v)
    }

    /// One page of tips, newest first: `sort=-createdAt`. Used on the very first start.
    pub(crate) async fn newest_tips(&self, token: &str, channel: &str, offset: u64) -> Result<TipsPage, ApiError> {
        let what = "GET /tips/{channel}";
        let limit = self.tuning.page_size.clamp(1, 100);
        let query = [("offset", offset.to_string()), ("limit", limit.to_string()), ("sort", "-createdAt".to_string())];
        let v = self.get(what, &format!("{}/tips/{channel}", self.base), &query, token).await?;
        self.page(what, v)
    }

    fn page(&self, what: &str, v: Value) -> Result<TipsPage, ApiError> {
        let protocol = |reason| ApiError::Protocol { what: what.to_string(), reason };
        let docs = v.get("docs").and_then(Value::as_array).cloned().ok_or_else(|| protocol("no docs list"))?;
        let total = v.get("total").and_then(Value::as_u64).unwrap_or(docs.len() as u64);
        Ok(TipsPage { docs, total })
    }

    async fn get(&self, what: &str, url: &str, query: &[(&str, String)], token: &str) -> Result<Value, ApiError> {
        let url = url::Url::parse_with_params(url, query.iter().map(|(k, v)| (*k, v.as_str())))
            .map_err(|_| ApiError::Protocol { what: what.to_string(), reason: "bad URL" })?;
        let mut rate_limited = 0u32;
        loop {
            let resp = self
                .http
                .get(url.clone())
                .header(AUTHORIZATION, format!("Bearer {token}"))
                .header(ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| ApiError::Transport { what: what.to_string(), reason: e.without_url().to_string() })?;
            match resp.status() {
                StatusCode::TOO_MANY_REQUESTS => {
                    rate_limited += 1;
                    if rate_limited > self.tuning.max_429_retries {
                        return Err(ApiError::RateLimited(what.to_string()));
                    }
                    let wait =
                        retry_after(resp.headers(), self.tuning.retry_after_default, self.tuning.retry_after_max);
                    tracing::warn!(call = what, wait_ms = wait.as_millis() as u64, "streamelements: 429, waiting");
                    tokio::time::sleep(wait).await;
                }
                StatusCode::UNAUTHORIZED => return Err(ApiError::Unauthorized(what.to_string())),
                s if s.is_success() => {
                    let bytes = resp.bytes().await.map_err(|e| ApiError::Transport {
                        what: what.to_string(),
                        reason: e.without_url().to_string(),
                    })?;
                    return serde_json::from_slice(&bytes)
                        .map_err(|_| ApiError::Protocol { what: what.to_string(), reason: "reply is not JSON" });
                }
                s => return Err(ApiError::Status { status: s.as_u16(), what: what.to_string() }),
            }
        }
    }
}

/// `Retry-After` in seconds (capped), or `default` when absent or unreadable.
pub(crate) fn retry_after(headers: &HeaderMap, default: Duration, max: Duration) -> Duration {
    source::retry_after(headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()), default, max)
}
