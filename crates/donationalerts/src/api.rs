//! DA's REST API as the intake uses it, behind one rate limiter and one token.
//!
//! Every call: wait for the limiter → send with the current Bearer token → on 429 honour
//! `Retry-After` (for every caller) and retry → on 401 refresh once and retry → otherwise fail.
//! A refresh that DA rejects, or a 401 right after a refresh, is [`IntakeError::LoginNeeded`].

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderMap, ACCEPT, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::config::DaConfig;
use crate::error::{transport, IntakeError};
use crate::limiter::RateLimiter;
use crate::oauth::SCOPES;
use crate::token::{StoredToken, TokenFile};

/// Where the current access token came from; decides whether it can be refreshed and saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenOrigin {
    /// The token file written by `login` (refreshable if it has a refresh token).
    File,
    /// `DA_ACCESS_TOKEN` (not refreshable).
    Env,
}

struct Auth {
    token: Option<StoredToken>,
    origin: TokenOrigin,
}

/// The streamer's profile from `/user/oauth`. `Debug` hides the socket token.
pub(crate) struct Profile {
    pub(crate) user_id: i64,
    pub(crate) socket_token: String,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile").field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

/// One page of `/alerts/donations`.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) items: Vec<Value>,
    pub(crate) last_page: Option<u64>,
    pub(crate) has_next: bool,
}

/// Why a `/oauth/token` call failed.
pub(crate) enum TokenCallError {
    /// DA said no (4xx): the grant is invalid, revoked or expired.
    Rejected { status: u16, error: Option<String> },
    /// Could not ask (network, 5xx, rate limit): try again later.
    Other(IntakeError),
}

/// The DA HTTP client: one per `run` (and one per `login`).
pub(crate) struct Api {
    cfg: DaConfig,
    http: reqwest::Client,
    /// Shared by every call, refreshes included.
    limiter: RateLimiter,
    auth: Mutex<Auth>,
    token_file: TokenFile,
}

impl Api {
    pub(crate) fn new(cfg: &DaConfig) -> Result<Api, IntakeError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.tuning.http_timeout)
            .connect_timeout(cfg.tuning.connect_timeout)
            .user_agent(concat!("draw-stream-donationalerts/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| IntakeError::Config(format!("HTTP client: {e}")))?;
        let token_file = TokenFile::new(cfg.token_file.clone());
        let api = Api {
            cfg: cfg.clone(),
            http,
            limiter: RateLimiter::new(cfg.tuning.min_request_interval),
            auth: Mutex::new(Auth { token: None, origin: TokenOrigin::Env }),
            token_file,
        };
        Ok(api)
    }

    /// Loads the credentials: the token file if there is one, else `DA_ACCESS_TOKEN`.
    /// Returns whether any token is available.
    pub(crate) async fn load_credentials(&self) -> bool {
        let mut auth = self.auth.lock().await;
        let from_file = match self.token_file.load() {
            Ok(t) => t,
            Err(e) => {
                // A damaged file must not hide a working DA_ACCESS_TOKEN.
                tracing::warn!(error = %e, "donationalerts: token file unreadable; ignoring it");
                None
            }
        };
        match from_file {
            Some(t) => {
                tracing::info!(file = %self.token_file.path().display(), refreshable = t.refresh_token.is_some(), "donationalerts: using the token file");
                auth.token = Some(t);
                auth.origin = TokenOrigin::File;
            }
            None => {
                auth.token = self.cfg.access_token.as_ref().map(|a| StoredToken {
                    token_type: "Bearer".into(),
                    access_token: a.clone(),
                    refresh_token: None,
                    expires_at: None,
                    obtained_at: 0,
                    scope: None,
                });
                auth.origin = TokenOrigin::Env;
                if auth.token.is_some() {
                    tracing::info!("donationalerts: using DA_ACCESS_TOKEN (cannot be refreshed)");
                }
            }
        }
        auth.token.is_some()
    }

    /// In "login needed": whether the token file now holds a different access token than the one
    /// that failed (the user ran `draw-stream login donationalerts`). Reads only the local file.
    pub(crate) async fn token_file_changed(&self) -> bool {
        let on_disk = match self.token_file.load() {
            Ok(Some(t)) => t,
            _ => return false,
        };
        let auth = self.auth.lock().await;
        match &auth.token {
            Some(current) => current.access_token != on_disk.access_token,
            None => true,
        }
    }

    /// `GET /user/oauth`: the user id and a fresh socket connection token.
    pub(crate) async fn user_oauth(&self) -> Result<Profile, IntakeError> {
        let url = self.cfg.api_url("user/oauth");
        let body = self.call("GET /user/oauth", |http, token| http.get(&url).bearer_auth(token)).await?;
        let data = body.get("data").unwrap_or(&body);
        let user_id = data
            .get("id")
            .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
            .or(self.cfg.user_id)
            .ok_or_else(|| IntakeError::Protocol("/user/oauth reply has no data.id".into()))?;
        let socket_token = data
            .get("socket_connection_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| IntakeError::Protocol("/user/oauth reply has no socket_connection_token".into()))?
            .to_string();
        if let Some(configured) = self.cfg.user_id.filter(|c| *c != user_id) {
            tracing::warn!(
                configured,
                user_id,
                "donationalerts: DA_USER_ID differs from the token's user; using the token's"
            );
        }
        Ok(Profile { user_id, socket_token })
    }

    /// `POST /centrifuge/subscribe`: a channel token bound to this connection's client id.
    pub(crate) async fn channel_token(&self, channel: &str, client: &str) -> Result<String, IntakeError> {
        let url = self.cfg.api_url("centrifuge/subscribe");
        let payload = json!({ "channels": [channel], "client": client });
        let body = self
            .call("POST /centrifuge/subscribe", |http, token| http.post(&url).bearer_auth(token).json(&payload))
            .await?;
        body.get("channels")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter().find(|c| c.get("channel").and_then(Value::as_str) == Some(channel) || list.len() == 1)
            })
            .and_then(|c| c.get("token"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                IntakeError::Protocol(
                    "/centrifuge/subscribe gave no token for the channel (scope oauth-donation-subscribe missing?)"
                        .into(),
                )
            })
    }

    /// `GET /alerts/donations?page=N`.
    pub(crate) async fn donations_page(&self, page: u64) -> Result<Page, IntakeError> {
        let url = format!("{}?page={page}", self.cfg.api_url("alerts/donations"));
        let what = format!("GET /alerts/donations?page={page}");
        let body = self.call(&what, |http, token| http.get(&url).bearer_auth(token)).await?;
        let items = body
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| IntakeError::Protocol(format!("{what}: reply has no data list")))?;
        let meta = body.get("meta");
        let num = |v: Option<&Value>| v.and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
        let current_page = num(meta.and_then(|m| m.get("current_page"))).unwrap_or(page);
        let last_page = num(meta.and_then(|m| m.get("last_page")));
        let next_link =
            body.get("links").and_then(|l| l.get("next")).is_some_and(|n| n.as_str().is_some_and(|s| !s.is_empty()));
        let has_next = match last_page {
            Some(last) => current_page < last,
            None => next_link,
        };
        Ok(Page { items, last_page, has_next })
    }

    /// One authenticated JSON call with the limiter, 429 and 401 handling.
    async fn call<F>(&self, what: &str, build: F) -> Result<Value, IntakeError>
    where
        F: Fn(&reqwest::Client, &str) -> RequestBuilder,
    {
        let mut refreshed = false;
        let mut rate_limited = 0u32;
        loop {
            let token = self.access_token().await?;
            self.limiter.acquire().await;
            let resp = build(&self.http, &token)
                .header(ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| transport(what, e))?;
            let status = resp.status();
            match status {
                StatusCode::TOO_MANY_REQUESTS => {
                    rate_limited += 1;
                    let wait = self.retry_after(resp.headers());
                    tracing::warn!(
                        call = what,
                        wait_ms = wait.as_millis() as u64,
                        attempt = rate_limited,
                        "donationalerts: 429, waiting"
                    );
                    self.limiter.back_off(wait);
                    if rate_limited > self.cfg.tuning.max_429_retries {
                        return Err(IntakeError::RateLimited);
                    }
                }
                StatusCode::UNAUTHORIZED => {
                    if refreshed {
                        tracing::warn!(call = what, "donationalerts: 401 again after a refresh");
                        return Err(IntakeError::LoginNeeded);
                    }
                    tracing::info!(call = what, "donationalerts: 401, refreshing the token once");
                    self.refresh_after_401(&token).await?;
                    refreshed = true;
                }
                s if s.is_success() => {
                    let bytes = resp.bytes().await.map_err(|e| transport(what, e))?;
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        return Ok(Value::Null);
                    }
                    return serde_json::from_slice(&bytes)
                        .map_err(|e| IntakeError::Protocol(format!("{what}: reply is not JSON ({e})")));
                }
                s => return Err(IntakeError::Status { status: s.as_u16(), what: what.to_string() }),
            }
        }
    }

    fn retry_after(&self, headers: &HeaderMap) -> Duration {
        let t = &self.cfg.tuning;
        let value = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok());
        source::retry_after(value, t.retry_after_default, t.retry_after_max)
    }

    /// The access token to send, refreshed first if it is about to expire.
    async fn access_token(&self) -> Result<String, IntakeError> {
        let mut auth = self.auth.lock().await;
        let Some(token) = auth.token.clone() else {
            return Err(IntakeError::LoginNeeded);
        };
        if token.expires_within(self.cfg.tuning.refresh_margin.as_secs()) && self.can_refresh(&auth) {
            tracing::info!("donationalerts: access token expires soon, refreshing");
            match self.refresh_locked(&mut auth).await {
                Ok(()) => {}
                // Not refreshable right now (network): the old token may still work for a while.
                Err(e) if !e.is_login_needed() && !token.expires_within(0) => {
                    tracing::warn!(error = %e, "donationalerts: early refresh failed; old token still valid");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(auth.token.as_ref().map(|t| t.access_token.clone()).unwrap_or(token.access_token))
    }

    fn can_refresh(&self, auth: &Auth) -> bool {
        auth.origin == TokenOrigin::File
            && auth.token.as_ref().is_some_and(|t| t.refresh_token.is_some())
            && self.cfg.client_id.is_some()
            && self.cfg.client_secret.is_some()
    }

    /// After a 401 on `failed`: refresh, unless somebody else already replaced that token.
    async fn refresh_after_401(&self, failed: &str) -> Result<(), IntakeError> {
        let mut auth = self.auth.lock().await;
        if auth.token.as_ref().is_some_and(|t| t.access_token != failed) {
            return Ok(());
        }
        if !self.can_refresh(&auth) {
            tracing::warn!("donationalerts: the token was refused and cannot be refreshed");
            return Err(IntakeError::LoginNeeded);
        }
        self.refresh_locked(&mut auth).await
    }

    async fn refresh_locked(&self, auth: &mut Auth) -> Result<(), IntakeError> {
        let (Some(client_id), Some(secret)) = (&self.cfg.client_id, &self.cfg.client_secret) else {
            return Err(IntakeError::LoginNeeded);
        };
        let Some(refresh) = auth.token.as_ref().and_then(|t| t.refresh_token.clone()) else {
            return Err(IntakeError::LoginNeeded);
        };
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", SCOPES),
        ];
        match self.token_call(&form).await {
            Ok(body) => {
                let token = StoredToken::from_token_response(&body, Some(&refresh), SCOPES)?;
                // Memory first: DA may have rotated the refresh token, and the new pair must not be
                // lost even if the disk write fails.
                auth.token = Some(token.clone());
                auth.origin = TokenOrigin::File;
                match self.token_file.save(&token) {
                    Ok(()) => tracing::info!("donationalerts: token refreshed and saved"),
                    Err(e) => tracing::error!(
                        error = %e,
                        "donationalerts: token refreshed but not saved; a restart will need a new login"
                    ),
                }
                Ok(())
            }
            Err(TokenCallError::Rejected { status, error }) => {
                tracing::warn!(
                    status,
                    error = error.as_deref().unwrap_or("-"),
                    "donationalerts: refresh rejected; login needed"
                );
                Err(IntakeError::LoginNeeded)
            }
            Err(TokenCallError::Other(e)) => Err(e),
        }
    }

    /// `POST {oauth_base}/token` with a form; used by refresh and by `login`.
    pub(crate) async fn token_call(&self, form: &[(&str, &str)]) -> Result<Value, TokenCallError> {
        let url = self.cfg.oauth_url("token");
        let what = "POST /oauth/token";
        let mut rate_limited = 0u32;
        loop {
            self.limiter.acquire().await;
            let resp = self
                .http
                .post(&url)
                .header(ACCEPT, "application/json")
                .form(form)
                .send()
                .await
                .map_err(|e| TokenCallError::Other(transport(what, e)))?;
            let status = resp.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                rate_limited += 1;
                let wait = self.retry_after(resp.headers());
                self.limiter.back_off(wait);
                if rate_limited > self.cfg.tuning.max_429_retries {
                    return Err(TokenCallError::Other(IntakeError::RateLimited));
                }
                continue;
            }
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            if status.is_success() {
                return Ok(body);
            }
            if status.is_client_error() {
                // The OAuth error code (e.g. invalid_grant) is safe to log; descriptions are not kept.
                let error = body.get("error").and_then(Value::as_str).map(|s| s.chars().take(64).collect());
                return Err(TokenCallError::Rejected { status: status.as_u16(), error });
            }
            return Err(TokenCallError::Other(IntakeError::Status { status: status.as_u16(), what: what.to_string() }));
        }
    }
}
