//! Every HTTP call to Twitch: `/oauth2/validate`, the refresh grant, and Helix (rewards, redemptions,
//! EventSub subscriptions). A 401 refreshes the token once and retries once; a second 401 (or a
//! refused refresh) is [`ApiError::LoginNeeded`].

use std::sync::Mutex;

use reqwest::Method;
use serde_json::{json, Value};

use crate::config::TwitchConfig;
use crate::token::{StoredToken, TokenFile};

/// Why a call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ApiError {
    /// The credentials are refused and refreshing did not help.
    #[error("login needed: {0}")]
    LoginNeeded(String),
    /// Twitch answered with an error status.
    #[error("HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// No answer (network, timeout, unreadable body).
    #[error("{0}")]
    Network(String),
}

impl ApiError {
    /// Worth retrying later (network, 5xx, 429).
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            ApiError::Http { status, .. } => *status >= 500 || *status == 429,
            ApiError::LoginNeeded(_) => false,
        }
    }
}

#[derive(Clone)]
struct Creds {
    access: String,
    refresh: Option<String>,
}

/// What `/oauth2/validate` says about the token.
#[derive(Debug, Clone)]
pub(crate) struct Validated {
    pub(crate) user_id: String,
    pub(crate) login: String,
    /// The application the token was issued to.
    pub(crate) client_id: String,
    /// `None` when Twitch answered `"scopes": null` (seen live): not checked then.
    pub(crate) scopes: Option<Vec<String>>,
}

/// The longest a Helix call waits for its rate-limit bucket before giving the 429 to its caller (who
/// retries with backoff): Twitch refills the bucket within a minute.
pub(crate) const MAX_RATE_LIMIT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long to wait after a 429 whose `Ratelimit-Reset` is `reset` (Unix seconds): until then, plus a
/// little for clock skew; one second without the header; `None` when it is too far away to wait.
fn rate_limit_wait(reset: Option<u64>) -> Option<std::time::Duration> {
    let Some(reset) = reset else {
        return Some(std::time::Duration::from_secs(1));
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let wait = std::time::Duration::from_secs(reset).saturating_sub(now) + std::time::Duration::from_millis(100);
    (wait <= MAX_RATE_LIMIT_WAIT).then_some(wait)
}

/// The error text of a Twitch reply: Helix `{error,status,message}`, id.twitch.tv `{status,message}`.
fn message_of(body: &Value) -> String {
    body.get("message").and_then(Value::as_str).unwrap_or("").chars().take(200).collect()
}

pub(crate) struct Api {
    pub(crate) cfg: TwitchConfig,
    http: reqwest::Client,
    creds: Mutex<Option<Creds>>,
    /// Serialises refreshes (a refresh token is one-time use).
    refresh_lock: tokio::sync::Mutex<()>,
    token_file: TokenFile,
}

impl Api {
    pub(crate) fn new(cfg: TwitchConfig) -> Api {
        let http = reqwest::Client::builder()
            .timeout(cfg.tuning.http_timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let token_file = TokenFile::new(cfg.token_file.clone());
        Api { cfg, http, creds: Mutex::new(None), refresh_lock: tokio::sync::Mutex::new(()), token_file }
    }

    fn access(&self) -> Option<String> {
        self.creds.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|c| c.access.clone())
    }

    fn set_creds(&self, c: Option<Creds>) {
        *self.creds.lock().unwrap_or_else(|e| e.into_inner()) = c;
    }

    /// Loads the token file, or else `TWITCH_ACCESS_TOKEN`. Returns whether a token is known.
    pub(crate) fn load_credentials(&self) -> bool {
        match self.token_file.load() {
            Ok(Some(t)) => {
                self.set_creds(Some(Creds { access: t.access_token, refresh: t.refresh_token }));
                return true;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "twitch: cannot read the token file"),
        }
        match &self.cfg.access_token {
            Some(t) => {
                self.set_creds(Some(Creds { access: t.clone(), refresh: None }));
                true
            }
            None => false,
        }
    }

    /// Whether the token file holds a login other than the one in use (a new `draw-stream login
    /// twitch`); if so, it is used from now on.
    pub(crate) fn new_login_available(&self) -> bool {
        let current = self.access();
        match self.token_file.load() {
            Ok(Some(t)) if Some(&t.access_token) != current.as_ref() => {
                self.set_creds(Some(Creds { access: t.access_token, refresh: t.refresh_token }));
                true
            }
            _ => false,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<(u16, Value), ApiError> {
        self.send_reading_reset(req).await.map(|(status, body, _)| (status, body))
    }

    /// Like `send`, also returning Helix's `Ratelimit-Reset` (when the rate-limit bucket is full
    /// again, in Unix seconds), if the reply has one.
    async fn send_reading_reset(&self, req: reqwest::RequestBuilder) -> Result<(u16, Value, Option<u64>), ApiError> {
        let resp = req.send().await.map_err(|e| ApiError::Network(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let reset = resp.headers().get("ratelimit-reset").and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
        let text = resp.text().await.map_err(|e| ApiError::Network(e.without_url().to_string()))?;
        let body =
            if text.trim().is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        Ok((status, body, reset))
    }

    /// Refreshes after `failed` was refused (unless another call refreshed meanwhile).
    async fn refresh_after(&self, failed: &str) -> Result<(), ApiError> {
        let _guard = self.refresh_lock.lock().await;
        if self.access().as_deref() != Some(failed) {
            return Ok(());
        }
        // `draw-stream login twitch` may have saved a new login while we ran: use it rather than
        // refresh the old one and write that over it.
        if self.new_login_available() {
            tracing::info!("twitch: a new login was saved meanwhile; using it");
            return Ok(());
        }
        let refresh = self.creds.lock().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(|c| c.refresh.clone());
        let Some(refresh) = refresh else {
            return Err(ApiError::LoginNeeded("the access token was refused and there is no refresh token".into()));
        };
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", self.cfg.client_id.as_str()),
        ];
        let (status, body) = self.send(self.http.post(self.cfg.auth_url("token")).form(&form)).await?;
        match status {
            200..=299 => {
                let token = StoredToken::from_token_response(&body, Some(&refresh))
                    .ok_or_else(|| ApiError::Network("refresh reply has no access_token".into()))?;
                if let Err(e) = self.token_file.save(&token) {
                    // Keep going with the new token in memory; the next login fixes the file.
                    tracing::error!(error = %e, "twitch: refreshed token could not be saved");
                }
                self.set_creds(Some(Creds { access: token.access_token, refresh: token.refresh_token }));
                tracing::info!("twitch: access token refreshed");
                Ok(())
            }
            400 | 401 | 403 => {
                Err(ApiError::LoginNeeded(format!("refresh refused (HTTP {status}: {})", message_of(&body))))
            }
            _ => Err(ApiError::Http { status, message: message_of(&body) }),
        }
    }

    /// `GET {auth}/validate` (start-up and hourly). 401 → refresh → validate again.
    pub(crate) async fn validate(&self) -> Result<Validated, ApiError> {
        for attempt in 0..2 {
            let access = self.access().ok_or_else(|| ApiError::LoginNeeded("no token".into()))?;
            let req = self.http.get(self.cfg.auth_url("validate")).header("Authorization", format!("OAuth {access}"));
            let (status, body) = self.send(req).await?;
            match status {
                200..=299 => {
                    let user_id = body.get("user_id").and_then(Value::as_str).unwrap_or("").to_string();
                    if user_id.is_empty() {
                        return Err(ApiError::LoginNeeded("the token is not a user token (no user_id)".into()));
                    }
                    return Ok(Validated {
                        user_id,
                        login: body.get("login").and_then(Value::as_str).unwrap_or("").to_string(),
                        client_id: body.get("client_id").and_then(Value::as_str).unwrap_or("").to_string(),
                        scopes: body
                            .get("scopes")
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()),
                    });
                }
                401 if attempt == 0 => self.refresh_after(&access).await?,
                401 => return Err(ApiError::LoginNeeded("the token is invalid".into())),
                _ => return Err(ApiError::Http { status, message: message_of(&body) }),
            }
        }
        Err(ApiError::LoginNeeded("the token is invalid".into()))
    }

    /// One Helix call with `Client-Id` and the bearer token; a 401 refreshes once and retries once; a
    /// 429 waits until `Ratelimit-Reset` (if that is at most [`MAX_RATE_LIMIT_WAIT`] away) and retries
    /// once. Any other non-2xx is an `Err`.
    pub(crate) async fn helix(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        for attempt in 0..2 {
            let access = self.access().ok_or_else(|| ApiError::LoginNeeded("no token".into()))?;
            let mut url = url::Url::parse(&self.cfg.api_url(path)).map_err(|e| ApiError::Network(e.to_string()))?;
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(query);
            }
            let mut req =
                self.http.request(method.clone(), url).header("Client-Id", &self.cfg.client_id).bearer_auth(&access);
            if let Some(b) = body {
                req = req.json(b);
            }
            let (status, reply, reset) = self.send_reading_reset(req).await?;
            match status {
                200..=299 => return Ok(reply),
                401 if attempt == 0 => self.refresh_after(&access).await?,
                429 if attempt == 0 => match rate_limit_wait(reset) {
                    Some(wait) => {
                        tracing::info!(
                            wait_ms = wait.as_millis() as u64,
                            "twitch: rate limited; waiting for the bucket"
                        );
                        tokio::time::sleep(wait).await;
                    }
                    None => return Err(ApiError::Http { status, message: message_of(&reply) }),
                },
                401 => return Err(ApiError::LoginNeeded(format!("Helix refused the token: {}", message_of(&reply)))),
                _ => return Err(ApiError::Http { status, message: message_of(&reply) }),
            }
        }
        Err(ApiError::LoginNeeded("Helix refused the token".into()))
    }

    /// The rewards our client id may manage: (id, title).
    pub(crate) async fn manageable_rewards(&self, broadcaster: &str) -> Result<Vec<(String, String)>, ApiError> {
        let reply = self
            .helix(
                Method::GET,
                "channel_points/custom_rewards",
                &[("broadcaster_id", broadcaster), ("only_manageable_rewards", "true")],
                None,
            )
            .await?;
        let rewards = reply.get("data").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        Ok(rewards
            .iter()
            .filter_map(|r| {
                let id = r.get("id").and_then(Value::as_str)?;
                let title = r.get("title").and_then(Value::as_str).unwrap_or("");
                Some((id.to_string(), title.to_string()))
            })
            .collect())
    }

    /// `PATCH custom_rewards` (Update Custom Reward): gives our reward a new title.
    pub(crate) async fn rename_reward(&self, broadcaster: &str, id: &str, title: &str) -> Result<(), ApiError> {
        self.helix(
            Method::PATCH,
            "channel_points/custom_rewards",
            &[("broadcaster_id", broadcaster), ("id", id)],
            Some(&json!({ "title": title })),
        )
        .await
        .map(|_| ())
    }

    /// Creates our reward: text input required, never skipping the request queue (so it can be refunded).
    pub(crate) async fn create_reward(&self, broadcaster: &str, title: &str) -> Result<String, ApiError> {
        let body = json!({
            "title": title,
            "cost": 1000,
            "prompt": "Describe what to draw",
            "is_user_input_required": true,
            "should_redemptions_skip_request_queue": false,
        });
        let reply = self
            .helix(Method::POST, "channel_points/custom_rewards", &[("broadcaster_id", broadcaster)], Some(&body))
            .await?;
        reply
            .pointer("/data/0/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ApiError::Network("create reward reply has no id".into()))
    }

    /// `POST eventsub/subscriptions` over the websocket transport. 409 (already there) counts as done.
    pub(crate) async fn subscribe(&self, kind: &str, condition: Value, session_id: &str) -> Result<(), ApiError> {
        let body = json!({
            "type": kind,
            "version": "1",
            "condition": condition,
            "transport": {"method": "websocket", "session_id": session_id},
        });
        match self.helix(Method::POST, "eventsub/subscriptions", &[], Some(&body)).await {
            Ok(reply) => {
                let status = reply.pointer("/data/0/status").and_then(Value::as_str).unwrap_or("");
                if status != "enabled" {
                    tracing::warn!(kind, status, "twitch: subscription not enabled at once");
                }
                Ok(())
            }
            Err(ApiError::Http { status: 409, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// One page of UNFULFILLED redemptions, oldest first: (items, next cursor).
    pub(crate) async fn unfulfilled_page(
        &self,
        broadcaster: &str,
        reward: &str,
        after: Option<&str>,
    ) -> Result<(Vec<Value>, Option<String>), ApiError> {
        let first = self.cfg.tuning.page_size.clamp(1, 50).to_string();
        let mut query = vec![
            ("broadcaster_id", broadcaster),
            ("reward_id", reward),
            ("status", "UNFULFILLED"),
            ("sort", "OLDEST"),
            ("first", first.as_str()),
        ];
        if let Some(a) = after {
            query.push(("after", a));
        }
        let reply = self.helix(Method::GET, "channel_points/custom_rewards/redemptions", &query, None).await?;
        let items = reply.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        let cursor =
            reply.pointer("/pagination/cursor").and_then(Value::as_str).filter(|c| !c.is_empty()).map(str::to_string);
        Ok((items, cursor))
    }

    /// A redemption's current status (`FULFILLED`, `CANCELED`, `UNFULFILLED`), if Twitch still lists it.
    pub(crate) async fn redemption_status(
        &self,
        broadcaster: &str,
        reward: &str,
        id: &str,
    ) -> Result<Option<String>, ApiError> {
        let reply = self
            .helix(
                Method::GET,
                "channel_points/custom_rewards/redemptions",
                &[("broadcaster_id", broadcaster), ("reward_id", reward), ("id", id)],
                None,
            )
            .await?;
        Ok(reply.pointer("/data/0/status").and_then(Value::as_str).map(str::to_string))
    }

    /// `PATCH …/redemptions` to `FULFILLED` or `CANCELED`.
    pub(crate) async fn set_redemption_status(
        &self,
        broadcaster: &str,
        reward: &str,
        id: &str,
        status: &str,
    ) -> Result<(), ApiError> {
        self.helix(
            Method::PATCH,
            "channel_points/custom_rewards/redemptions",
            &[("broadcaster_id", broadcaster), ("reward_id", reward), ("id", id)],
            Some(&json!({ "status": status })),
        )
        .await
        .map(|_| ())
    }
}
