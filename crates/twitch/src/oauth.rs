//! `draw-stream login twitch`: the OAuth Device Code Grant flow (public client, no secret).
//!
//! 1. `POST {auth}/device` form `client_id`, `scopes=channel:manage:redemptions bits:read`.
//! 2. Show `verification_uri` (the code is pre-filled) and `user_code`.
//! 3. Poll `POST {auth}/token` form `client_id`, `device_code`,
//!    `grant_type=urn:ietf:params:oauth:grant-type:device_code` every `interval` seconds:
//!    `authorization_pending` → keep polling; `slow_down` → poll 5 s slower; `expired_token` /
//!    `invalid device code` → the code expired; `access_denied` → the streamer said no.
//! 4. Save the tokens to `twitch-token.json` (created with mode 0600).
//!
//! Neither the tokens nor the device code are ever logged.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::config::TwitchConfig;
use crate::supervisor::SCOPES;
use crate::token::{StoredToken, TokenFile};

/// What the streamer must do: open `verification_uri` and confirm `user_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    pub verification_uri: String,
    pub user_code: String,
    /// How long the code stays valid.
    pub expires_in: Duration,
}

/// Why the login did not finish.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoginError {
    #[error("TWITCH_CLIENT_ID is needed to log in (the Client ID of your Twitch application, client type Public)")]
    NoClientId,
    #[error("the code expired before it was confirmed; run the login again")]
    Expired,
    #[error("access was denied on Twitch")]
    Denied,
    #[error("Twitch refused the login: {0}")]
    Refused(String),
    #[error("cannot reach Twitch: {0}")]
    Network(String),
    #[error("{0}")]
    TokenFile(String),
}

/// Knobs of [`login_with`].
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// One "second" of Twitch's `interval` (tests shrink it; real: 1 s).
    pub poll_unit: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions { poll_unit: Duration::from_secs(1) }
    }
}

/// Logs in, printing the address and code on stdout, and saves the token file.
pub async fn login(cfg: &TwitchConfig) -> Result<(), LoginError> {
    login_with(cfg, &LoginOptions::default(), |code| {
        println!(
            "Open this address and confirm the code {} to connect Draw Stream to Twitch:\n\n  {}\n",
            code.user_code, code.verification_uri
        );
    })
    .await
}

fn msg(body: &Value) -> String {
    body.get("message").and_then(Value::as_str).unwrap_or("").to_string()
}

/// [`login`] with every knob; `on_code` is called once with what to show the streamer.
pub async fn login_with(
    cfg: &TwitchConfig,
    opts: &LoginOptions,
    on_code: impl FnOnce(&DeviceCode),
) -> Result<(), LoginError> {
    if cfg.client_id.is_empty() {
        return Err(LoginError::NoClientId);
    }
    let http = reqwest::Client::builder()
        .timeout(cfg.tuning.http_timeout)
        .build()
        .map_err(|e| LoginError::Network(e.to_string()))?;
    let post = |path: &str, form: Vec<(&'static str, String)>| {
        let req = http.post(cfg.auth_url(path)).form(&form);
        async move {
            let resp = req.send().await.map_err(|e| LoginError::Network(e.without_url().to_string()))?;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            Ok::<_, LoginError>((status, body))
        }
    };
    let (status, body) =
        post("device", vec![("client_id", cfg.client_id.clone()), ("scopes", SCOPES.to_string())]).await?;
    if status != 200 {
        return Err(LoginError::Refused(format!("HTTP {status}: {}", msg(&body))));
    }
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let device_code = field("device_code");
    if device_code.is_empty() {
        return Err(LoginError::Refused("the device reply has no device_code".into()));
    }
    let expires_in = Duration::from_secs(body.get("expires_in").and_then(Value::as_u64).unwrap_or(1800));
    let mut interval = body.get("interval").and_then(Value::as_u64).unwrap_or(5).max(1);
    on_code(&DeviceCode { verification_uri: field("verification_uri"), user_code: field("user_code"), expires_in });
    let deadline = Instant::now() + expires_in;
    loop {
        tokio::time::sleep(opts.poll_unit * interval as u32).await;
        if Instant::now() >= deadline {
            return Err(LoginError::Expired);
        }
        let form = vec![
            ("client_id", cfg.client_id.clone()),
            ("device_code", device_code.clone()),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code".to_string()),
        ];
        let (status, body) = match post("token", form).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "twitch: login poll failed; trying again");
                continue;
            }
        };
        if (200..300).contains(&status) {
            let token = StoredToken::from_token_response(&body, None)
                .ok_or_else(|| LoginError::Refused("the token reply has no access_token".into()))?;
            TokenFile::new(cfg.token_file.clone()).save(&token).map_err(|e| LoginError::TokenFile(e.to_string()))?;
            tracing::info!(file = %cfg.token_file.display(), "twitch: login complete");
            return Ok(());
        }
        let m = msg(&body);
        let code = body.get("error").and_then(Value::as_str).unwrap_or("");
        let says = |what: &str| m.eq_ignore_ascii_case(what) || code.eq_ignore_ascii_case(what);
        if says("authorization_pending") {
            continue;
        }
        if says("slow_down") {
            interval += 5;
            continue;
        }
        if says("expired_token") || says("invalid device code") {
            return Err(LoginError::Expired);
        }
        if says("access_denied") {
            return Err(LoginError::Denied);
        }
        if status >= 500 || status == 429 {
            continue;
        }
        return Err(LoginError::Refused(format!("HTTP {status}: {m}")));
    }
}
