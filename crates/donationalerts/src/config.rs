//! Where Donation Alerts lives, which credentials to use, and every timer the intake runs on.
//!
//! Defaults are DA's real endpoints and the timings of the reference (§5); tests shrink the timers.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::IntakeError;

/// Default `DA_WS_URL`: DA's Centrifugo endpoint.
pub const DEFAULT_WS_URL: &str = "wss://centrifugo.donationalerts.com/connection/websocket";
/// Default `DA_API_BASE`: DA's REST API v1.
pub const DEFAULT_API_BASE: &str = "https://www.donationalerts.com/api/v1";
/// Default `DA_OAUTH_BASE`: DA's OAuth endpoints (`/authorize`, `/token`).
pub const DEFAULT_OAUTH_BASE: &str = "https://www.donationalerts.com/oauth";
/// Name of the token file inside the data dir.
pub const TOKEN_FILE_NAME: &str = "donationalerts-token.json";

/// Everything [`crate::run`] and [`crate::login`] need. Build it with struct-update syntax over
/// [`DaConfig::default`], or from the environment names with [`DaConfig::from_lookup`].
///
/// `Debug` redacts the access token and the client secret.
#[derive(Clone)]
pub struct DaConfig {
    /// `DA_WS_URL`: the Centrifugo WebSocket. `https://`/`http://` are rewritten to `wss://`/`ws://`
    /// (the original documented an `https://` URL).
    pub ws_url: String,
    /// `DA_API_BASE`: the REST API base, e.g. `https://www.donationalerts.com/api/v1`.
    pub api_base: String,
    /// `DA_OAUTH_BASE`: `{oauth_base}/authorize` and `{oauth_base}/token`.
    pub oauth_base: String,
    /// `DA_ACCESS_TOKEN`: the original's way: a bare access token, used when the token file is
    /// absent. It cannot be refreshed; a 401 on it means "login needed".
    pub access_token: Option<String>,
    /// `DA_USER_ID`: only a fallback; the user id is read from `/user/oauth` on every connect.
    pub user_id: Option<i64>,
    /// `DA_CLIENT_ID`: the DA application id, needed for `login` and for refreshing tokens.
    pub client_id: Option<String>,
    /// `DA_CLIENT_SECRET`: the DA application secret, needed for `login` and refresh.
    pub client_secret: Option<String>,
    /// `DA_REST_POLL_INTERVAL_SEC`: how often the REST catch-up runs while the socket is DOWN.
    pub poll_interval: Duration,
    /// How often the REST catch-up runs while the socket is up (a slow safety net).
    pub safety_net_interval: Duration,
    /// `<data dir>/donationalerts-token.json` (mode 0600): access + refresh token and expiry.
    pub token_file: PathBuf,
    /// Timers and limits; the defaults suit the real DA.
    pub tuning: DaTuning,
}

/// Timers and limits of the intake. The defaults follow the reference's recommendations; tests
/// shrink them so a whole reconnect storm runs in seconds.
#[derive(Clone, Debug)]
pub struct DaTuning {
    /// Minimum spacing of ALL DA HTTP calls (DA allows 60/min per application; 1.05 s leaves margin).
    pub min_request_interval: Duration,
    /// Timeout of one HTTP request.
    pub http_timeout: Duration,
    /// Budget for the WebSocket handshake and each of the connect and subscribe replies.
    pub connect_timeout: Duration,
    /// Application ping (`{"method":7}`) interval.
    pub ping_interval: Duration,
    /// A ping without a reply for this long means the connection is dead.
    pub pong_timeout: Duration,
    /// No frame at all (including WebSocket pings) for this long means the connection is dead.
    pub silence_timeout: Duration,
    /// First reconnect delay; doubles per failed attempt (±50 % jitter).
    pub backoff_min: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
    /// Time spent live after which the backoff starts from `backoff_min` again.
    pub backoff_reset_after: Duration,
    /// While the socket is up, a failed catch-up is retried after this long.
    pub catchup_retry: Duration,
    /// Live publications are held (for donation order) while a gap is being filled, but never longer
    /// than this: after it they are delivered out of order rather than late.
    pub hold_limit: Duration,
    /// While "login needed", how often the token file is re-read (no HTTP in that state).
    pub login_recheck_interval: Duration,
    /// Wait on a 429 without a usable `Retry-After`.
    pub retry_after_default: Duration,
    /// Longest `Retry-After` honoured as is (a larger one is capped).
    pub retry_after_max: Duration,
    /// 429 replies tolerated for one request before it fails.
    pub max_429_retries: u32,
    /// Refresh the token this long before it expires.
    pub refresh_margin: Duration,
    /// Upper bound on pages read by one catch-up (a safety valve, far above any real backlog).
    pub max_catchup_pages: u32,
}

impl Default for DaTuning {
    fn default() -> Self {
        DaTuning {
            min_request_interval: Duration::from_millis(1050),
            http_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(20),
            pong_timeout: Duration::from_secs(10),
            silence_timeout: Duration::from_secs(60),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            backoff_reset_after: Duration::from_secs(60),
            catchup_retry: Duration::from_secs(3),
            hold_limit: Duration::from_secs(20),
            login_recheck_interval: Duration::from_secs(10),
            retry_after_default: Duration::from_secs(2),
            retry_after_max: Duration::from_secs(120),
            max_429_retries: 5,
            refresh_margin: Duration::from_secs(600),
            max_catchup_pages: 2000,
        }
    }
}

impl Default for DaConfig {
    fn default() -> Self {
        DaConfig {
            ws_url: DEFAULT_WS_URL.to_string(),
            api_base: DEFAULT_API_BASE.to_string(),
            oauth_base: DEFAULT_OAUTH_BASE.to_string(),
            access_token: None,
            user_id: None,
            client_id: None,
            client_secret: None,
            poll_interval: Duration::from_secs(30),
            safety_net_interval: Duration::from_secs(300),
            token_file: PathBuf::from(TOKEN_FILE_NAME),
            tuning: DaTuning::default(),
        }
    }
}

impl fmt::Debug for DaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DaConfig")
            .field("ws_url", &self.ws_url)
            .field("api_base", &self.api_base)
            .field("oauth_base", &self.oauth_base)
            .field("access_token", &self.access_token.as_ref().map(|_| "<redacted>"))
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("poll_interval", &self.poll_interval)
            .field("safety_net_interval", &self.safety_net_interval)
            .field("token_file", &self.token_file)
            .field("tuning", &self.tuning)
            .finish()
    }
}

impl DaConfig {
    /// Builds the config from the original's environment names (`DA_WS_URL`, `DA_API_BASE`,
    /// `DA_ACCESS_TOKEN`, `DA_USER_ID`, `DA_REST_POLL_INTERVAL_SEC`) and the new ones
    /// (`DA_CLIENT_ID`, `DA_CLIENT_SECRET`, `DA_OAUTH_BASE`). `get` looks a name up (the
    /// environment, a TOML table…); empty values count as unset. The token file goes into `data_dir`.
    ///
    /// The same checks as the service's configuration ([`DaConfig::from_section`]); every problem is
    /// named in the one error.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>, data_dir: &Path) -> Result<DaConfig, IntakeError> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        DaConfig::from_section(&get, data_dir)
            .map_err(|problems| IntakeError::Config(source::describe_problems(&problems)))
    }

    /// True when there is any way to authenticate: a bare token, a token file, or an app
    /// (client id) that `login` can use. Without any, the intake is [`crate::IntakeStatus::Disabled`].
    pub fn is_configured(&self) -> bool {
        self.access_token.is_some() || self.client_id.is_some() || self.token_file.exists()
    }

    /// Checks the URLs; called by `run` and `login`.
    pub fn validate(&self) -> Result<(), IntakeError> {
        self.websocket_url()?;
        for (name, value) in [("DA_API_BASE", &self.api_base), ("DA_OAUTH_BASE", &self.oauth_base)] {
            let parsed = url::Url::parse(value)
                .map_err(|e| IntakeError::Config(format!("{name} is not a URL ({e}): {value}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(IntakeError::Config(format!("{name} must be an http(s) URL: {value}")));
            }
        }
        Ok(())
    }

    /// `ws_url` with `https`→`wss` and `http`→`ws`.
    pub fn websocket_url(&self) -> Result<String, IntakeError> {
        let mut parsed = url::Url::parse(self.ws_url.trim())
            .map_err(|e| IntakeError::Config(format!("DA_WS_URL is not a URL ({e}): {}", self.ws_url)))?;
        let scheme = match parsed.scheme() {
            "https" | "wss" => "wss",
            "http" | "ws" => "ws",
            other => {
                return Err(IntakeError::Config(format!("DA_WS_URL must be ws(s):// or http(s)://, got {other}://")))
            }
        };
        parsed.set_scheme(scheme).map_err(|_| IntakeError::Config("DA_WS_URL: cannot set the scheme".into()))?;
        Ok(parsed.to_string())
    }

    /// `{api_base}/{path}` without doubled slashes.
    pub(crate) fn api_url(&self, path: &str) -> String {
        format!("{}/{}", self.api_base.trim_end_matches('/'), path)
    }

    /// `{oauth_base}/{path}` without doubled slashes.
    pub(crate) fn oauth_url(&self, path: &str) -> String {
        format!("{}/{}", self.oauth_base.trim_end_matches('/'), path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_ws_url_is_rewritten() {
        let cfg = DaConfig {
            ws_url: "https://centrifugo.donationalerts.com/connection/websocket".into(),
            ..DaConfig::default()
        };
        assert_eq!(cfg.websocket_url().unwrap(), "wss://centrifugo.donationalerts.com/connection/websocket");
        let cfg = DaConfig { ws_url: "http://127.0.0.1:9/connection/websocket".into(), ..DaConfig::default() };
        assert_eq!(cfg.websocket_url().unwrap(), "ws://127.0.0.1:9/connection/websocket");
    }

    #[test]
    fn from_lookup_reads_original_names() {
        let env = |k: &str| match k {
            "DA_ACCESS_TOKEN" => Some("tok".to_string()),
            "DA_USER_ID" => Some("42".to_string()),
            "DA_REST_POLL_INTERVAL_SEC" => Some("45".to_string()),
            "DA_API_BASE" => Some("http://127.0.0.1:1/api/v1/".to_string()),
            "DA_CLIENT_SECRET" => Some("".to_string()),
            _ => None,
        };
        let cfg = DaConfig::from_lookup(env, Path::new("/data")).unwrap();
        assert_eq!(cfg.access_token.as_deref(), Some("tok"));
        assert_eq!(cfg.user_id, Some(42));
        assert_eq!(cfg.poll_interval, Duration::from_secs(45));
        assert_eq!(cfg.client_secret, None);
        assert_eq!(cfg.token_file, Path::new("/data").join(TOKEN_FILE_NAME));
        assert_eq!(cfg.api_url("user/oauth"), "http://127.0.0.1:1/api/v1/user/oauth");
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("tok\""), "{dbg}");
    }
}
