//! The four `STREAMELEMENTS_*` keys, the validated configuration and every timer of the source.
//!
//! Defaults are StreamElements' real endpoints and the timings of the protocol notes (Astro pings
//! every 30 s and drops a client after 70 s without a pong, so 75 s of silence means the socket is
//! dead). Tests shrink the timers through [`SeTuning`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use source::{ConfigProblem, Key, Lookup};

/// `STREAMELEMENTS_TOKEN`.
pub const KEY_TOKEN: &str = "STREAMELEMENTS_TOKEN";
/// `STREAMELEMENTS_CHANNEL`.
pub const KEY_CHANNEL: &str = "STREAMELEMENTS_CHANNEL";
/// `STREAMELEMENTS_WS_URL`.
pub const KEY_WS_URL: &str = "STREAMELEMENTS_WS_URL";
/// `STREAMELEMENTS_API_BASE`.
pub const KEY_API_BASE: &str = "STREAMELEMENTS_API_BASE";

/// Default `STREAMELEMENTS_WS_URL`: the Astro gateway.
pub const DEFAULT_WS_URL: &str = "wss://astro.streamelements.com/";
/// Default `STREAMELEMENTS_API_BASE`: the REST API (kappa v2).
pub const DEFAULT_API_BASE: &str = "https://api.streamelements.com/kappa/v2";

/// Every key of the StreamElements section.
pub const KEYS: &[Key] = &[
    Key {
        name: KEY_TOKEN,
        default: None,
        doc: "StreamElements JWT (dashboard → Channels → Show secrets) or OAuth2 access token, or run `draw-stream login streamelements` (saved as streamelements-token, 0600); neither = source off",
    },
    Key {
        name: KEY_CHANNEL,
        default: None,
        doc: "StreamElements channel _id (24 hex characters); unset = read from GET /channels/me",
    },
    Key { name: KEY_WS_URL, default: Some(DEFAULT_WS_URL), doc: "Astro WebSocket URL" },
    Key { name: KEY_API_BASE, default: Some(DEFAULT_API_BASE), doc: "StreamElements REST API base URL" },
];

/// How Astro is told what the token is (`token_type` of the subscribe request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// A JWT: three dot-separated base64url parts (the dashboard's "JWT token").
    Jwt,
    /// Anything else: an OAuth2 access token.
    OAuth2,
}

impl TokenType {
    /// `jwt` when the token looks like a JWT, else `oauth2`.
    pub fn detect(token: &str) -> TokenType {
        let parts: Vec<&str> = token.split('.').collect();
        let b64url = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if parts.len() == 3 && parts.iter().all(b64url) {
            TokenType::Jwt
        } else {
            TokenType::OAuth2
        }
    }

    /// The wire name: `jwt` or `oauth2`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Jwt => "jwt",
            TokenType::OAuth2 => "oauth2",
        }
    }
}

/// Timers and limits. The defaults suit the real StreamElements; tests shrink them.
#[derive(Debug, Clone)]
pub struct SeTuning {
    /// Timeout of one HTTP request.
    pub http_timeout: Duration,
    /// Budget for the WebSocket handshake, the `welcome`, and the subscribe responses.
    pub connect_timeout: Duration,
    /// No frame at all (WebSocket pings included; Astro pings every 30 s) for this long: reconnect.
    pub silence_timeout: Duration,
    /// First reconnect delay; doubles per failed attempt (±50 % jitter).
    pub backoff_min: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
    /// Time live after which the backoff starts from `backoff_min` again.
    pub backoff_reset_after: Duration,
    /// How often the REST catch-up runs while the socket is down.
    pub poll_interval: Duration,
    /// How often the REST catch-up runs while live (a slow safety net).
    pub safety_net_interval: Duration,
    /// A failed catch-up (or a live tip the sink refused) is retried after this long (doubling).
    pub catchup_retry: Duration,
    /// While "login needed", how often the token is tried again (no spinning).
    pub login_retry_interval: Duration,
    /// While "login needed", how often the saved-login file is read for a new token.
    pub login_file_poll: Duration,
    /// Wait on a 429 without a usable `Retry-After`.
    pub retry_after_default: Duration,
    /// Longest `Retry-After` honoured as is.
    pub retry_after_max: Duration,
    /// 429 replies tolerated for one REST request before it fails.
    pub max_429_retries: u32,
    /// Tips per REST page (StreamElements allows 1..=100).
    pub page_size: u32,
    /// Pages read by one catch-up at most; the rest follows on the next one (the watermark moved).
    pub max_catchup_pages: u32,
    /// A `pending` (moderated) tip holds the watermark back so that its approval is caught up; once
    /// a tip this much newer exists, it stops holding it (approving it later still arrives live).
    pub pending_window: Duration,
}

impl Default for SeTuning {
    fn default() -> Self {
        SeTuning {
            http_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(10),
            silence_timeout: Duration::from_secs(75),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            backoff_reset_after: Duration::from_secs(60),
            poll_interval: Duration::from_secs(30),
            safety_net_interval: Duration::from_secs(300),
            catchup_retry: Duration::from_secs(3),
            login_retry_interval: Duration::from_secs(900),
            login_file_poll: Duration::from_secs(2),
            retry_after_default: Duration::from_secs(2),
            retry_after_max: Duration::from_secs(120),
            max_429_retries: 5,
            page_size: 100,
            max_catchup_pages: 200,
            pending_window: Duration::from_secs(48 * 3600),
        }
    }
}

/// The token saved by `draw-stream login streamelements`, in the data dir (0600). It wins over
/// `STREAMELEMENTS_TOKEN`, and a new one is picked up while the source waits for a login.
pub const TOKEN_FILE_NAME: &str = "streamelements-token";

/// The validated StreamElements section. `Debug` redacts the token.
#[derive(Clone)]
pub struct SeConfig {
    /// The saved login (`<data dir>/streamelements-token`) or `STREAMELEMENTS_TOKEN`; empty only in a
    /// configuration made for logging in ([`SeConfig::for_login`]).
    pub token: String,
    /// `<data dir>/streamelements-token`.
    pub token_file: PathBuf,
    /// `STREAMELEMENTS_CHANNEL`: the channel `_id`; `None` = ask `GET {api}/channels/me`.
    pub channel: Option<String>,
    /// `STREAMELEMENTS_WS_URL` (`http(s)://` is rewritten to `ws(s)://`).
    pub ws_url: String,
    /// `STREAMELEMENTS_API_BASE`, without a trailing `/`.
    pub api_base: String,
    /// Timers and limits.
    pub tuning: SeTuning,
}

impl fmt::Debug for SeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeConfig")
            .field("token", &"<redacted>")
            .field("channel", &self.channel)
            .field("ws_url", &self.ws_url)
            .field("api_base", &self.api_base)
            .field("token_file", &self.token_file)
            .field("tuning", &self.tuning)
            .finish()
    }
}

/// Whether `s` is a StreamElements channel `_id`: 24 hex characters.
pub fn is_channel_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_url(key: &'static str, value: &str, schemes: &[&str], problems: &mut Vec<ConfigProblem>) -> Option<url::Url> {
    match url::Url::parse(value) {
        Ok(u) if schemes.contains(&u.scheme()) && u.host_str().is_some() => Some(u),
        Ok(u) => {
            problems.push(ConfigProblem::new(
                key,
                format!("{value:?} is not a {} URL (scheme {:?})", schemes.join("/"), u.scheme()),
            ));
            None
        }
        Err(e) => {
            problems.push(ConfigProblem::new(key, format!("{value:?} is not a URL ({e})")));
            None
        }
    }
}

impl SeConfig {
    /// Reads the section. `Ok(None)` when there is no token (neither a saved login nor
    /// `STREAMELEMENTS_TOKEN`: the source is off); every bad value is reported, each naming its key.
    pub fn from_lookup(lookup: Lookup<'_>, data_dir: &Path) -> Result<Option<SeConfig>, Vec<ConfigProblem>> {
        let cfg = Self::for_login(lookup, data_dir)?;
        Ok((!cfg.token.is_empty()).then_some(cfg))
    }

    /// The section for `draw-stream login streamelements`: everything but the token may be missing.
    pub fn for_login(lookup: Lookup<'_>, data_dir: &Path) -> Result<SeConfig, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let token_file = data_dir.join(TOKEN_FILE_NAME);
        let saved = match read_token_file(&token_file) {
            Ok(t) => t,
            Err(e) => {
                problems.push(ConfigProblem::new(KEY_TOKEN, e));
                None
            }
        };
        let token = saved.or_else(|| lookup(KEY_TOKEN));
        if let Some(t) = &token {
            if t.chars().any(char::is_whitespace) || t.chars().any(char::is_control) {
                problems.push(ConfigProblem::new(KEY_TOKEN, "contains spaces; paste the token alone"));
            }
        }
        let channel = lookup(KEY_CHANNEL);
        if let Some(c) = &channel {
            if !is_channel_id(c) {
                problems.push(ConfigProblem::new(
                    KEY_CHANNEL,
                    format!("{c:?} is not a channel _id (24 hex characters, e.g. 5b2e2007760aeb7729487dab)"),
                ));
            }
        }
        let ws = lookup(KEY_WS_URL).unwrap_or_else(|| DEFAULT_WS_URL.to_string());
        let ws_url = check_url(KEY_WS_URL, &ws, &["ws", "wss", "http", "https"], &mut problems).map(|mut u| {
            let scheme = match u.scheme() {
                "http" => "ws",
                "https" => "wss",
                s => s,
            }
            .to_string();
            let _ = u.set_scheme(&scheme);
            u.to_string()
        });
        let api = lookup(KEY_API_BASE).unwrap_or_else(|| DEFAULT_API_BASE.to_string());
        let api_base = check_url(KEY_API_BASE, &api, &["http", "https"], &mut problems)
            .map(|_| api.trim_end_matches('/').to_string());
        if !problems.is_empty() {
            return Err(problems);
        }
        let (Some(ws_url), Some(api_base)) = (ws_url, api_base) else {
            return Err(problems); // not reached: a bad URL is one of the problems above
        };
        let token = token.unwrap_or_default();
        Ok(SeConfig {
            token,
            token_file,
            channel: channel.map(|c| c.to_ascii_lowercase()),
            ws_url,
            api_base,
            tuning: SeTuning::default(),
        })
    }
}

/// The saved login, if any (`Err` names the file when it cannot be read).
pub(crate) fn read_token_file(path: &Path) -> Result<Option<String>, String> {
    match source::read_secret(path) {
        Ok(t) => Ok(t.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())),
        Err(e) => Err(format!("cannot read the saved login {}: {e}", path.display())),
    }
}

/// Whether the streamer configured StreamElements (`STREAMELEMENTS_TOKEN` is set, or a login saved).
pub fn configured(lookup: Lookup<'_>, data_dir: &Path) -> bool {
    lookup(KEY_TOKEN).is_some() || data_dir.join(TOKEN_FILE_NAME).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_type_from_shape() {
        assert_eq!(TokenType::detect("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl_-x"), TokenType::Jwt);
        assert_eq!(TokenType::detect("ixfd2ussul9naws1agx16n8ufwny5a"), TokenType::OAuth2);
        assert_eq!(TokenType::detect("a.b"), TokenType::OAuth2);
        assert_eq!(TokenType::detect("a..c"), TokenType::OAuth2);
        assert_eq!(TokenType::detect("a.b+c.d"), TokenType::OAuth2);
        assert_eq!(TokenType::Jwt.as_str(), "jwt");
        assert_eq!(TokenType::OAuth2.as_str(), "oauth2");
    }

    #[test]
    fn channel_ids() {
        assert!(is_channel_id("5b2e2007760aeb7729487dab"));
        assert!(!is_channel_id("5b2e2007760aeb7729487da"));
        assert!(!is_channel_id("5b2e2007760aeb7729487dag"));
    }
}
