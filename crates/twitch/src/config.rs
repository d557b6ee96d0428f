//! [`TwitchConfig`]: the `TWITCH_*` keys, checked all at once, and [`TwitchTuning`]: every timer.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;
use source::{ConfigProblem, Key, Lookup};

/// The token file's name inside the data directory.
pub const TOKEN_FILE_NAME: &str = "twitch-token.json";
/// The id of the reward we made, so a new `TWITCH_REWARD_TITLE` renames it instead of making another.
pub const REWARD_FILE_NAME: &str = "twitch-reward.json";

/// Every key of the Twitch section, with its default and a one-line description.
pub const KEYS: &[Key] = &[
    Key {
        name: "TWITCH_CLIENT_ID",
        default: None,
        doc: "Client ID of your Twitch application (dev.twitch.tv console, client type Public).",
    },
    Key {
        name: "TWITCH_ACCESS_TOKEN",
        default: None,
        doc: "A user access token; or run `draw-stream login twitch` (saved as twitch-token.json, refreshed).",
    },
    Key {
        name: "TWITCH_REWARD_TITLE",
        default: Some("Draw"),
        doc: "Title of the channel-points reward (with text input) Draw Stream creates and draws.",
    },
    Key { name: "TWITCH_MIN_BITS", default: Some("100"), doc: "Smallest cheer (in bits) whose message is drawn." },
    Key {
        name: "TWITCH_BITS_VALUE",
        default: Some("0.01"),
        doc: "The value of one bit in your display currency (for amount rules and the HUD).",
    },
    Key {
        name: "TWITCH_EVENTSUB_WS_URL",
        default: Some("wss://eventsub.wss.twitch.tv/ws"),
        doc: "EventSub WebSocket address (change only for a test server).",
    },
    Key {
        name: "TWITCH_API_BASE",
        default: Some("https://api.twitch.tv/helix"),
        doc: "Helix API base address (change only for a test server).",
    },
    Key {
        name: "TWITCH_AUTH_BASE",
        default: Some("https://id.twitch.tv/oauth2"),
        doc: "Twitch OAuth base address (change only for a test server).",
    },
];

fn default_of(name: &str) -> &'static str {
    KEYS.iter().find(|k| k.name == name).and_then(|k| k.default).unwrap_or("")
}

/// Every timer of the intake. The defaults are the real ones; tests shrink them.
#[derive(Debug, Clone)]
pub struct TwitchTuning {
    /// Asked of EventSub with `?keepalive_timeout_seconds=` on a fresh connection (10..=600).
    pub keepalive_request_secs: u64,
    /// Added to the session's `keepalive_timeout_seconds` before the watchdog reconnects.
    pub keepalive_margin: Duration,
    /// Opening a socket, and waiting for a welcome on it.
    pub connect_timeout: Duration,
    /// Every HTTP call.
    pub http_timeout: Duration,
    /// First reconnect delay (doubles with jitter) …
    pub backoff_min: Duration,
    /// … up to this.
    pub backoff_max: Duration,
    /// A session live this long resets the backoff.
    pub backoff_reset_after: Duration,
    /// How often the token is validated while running (Twitch requires hourly).
    pub validate_interval: Duration,
    /// How often the token file is re-read while "login needed".
    pub login_recheck_interval: Duration,
    /// First retry after the sink refused a donation (doubles up to `sink_retry_max`).
    pub sink_retry_min: Duration,
    pub sink_retry_max: Duration,
    /// Retry of a failed catch-up inside a live session.
    pub catchup_retry: Duration,
    /// While live, the catch-up runs again this often: a redemption the socket missed (or one the
    /// paging skipped while others were being settled) is drawn within this time, not next session.
    pub catchup_interval: Duration,
    /// How many notification message ids are remembered for deduplication.
    pub dedupe_capacity: usize,
    /// Helix page size for the catch-up (1..=50).
    pub page_size: u32,
}

impl Default for TwitchTuning {
    fn default() -> Self {
        TwitchTuning {
            keepalive_request_secs: 30,
            keepalive_margin: Duration::from_secs(6),
            connect_timeout: Duration::from_secs(15),
            http_timeout: Duration::from_secs(15),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            backoff_reset_after: Duration::from_secs(60),
            validate_interval: Duration::from_secs(3600),
            login_recheck_interval: Duration::from_secs(5),
            sink_retry_min: Duration::from_millis(500),
            sink_retry_max: Duration::from_secs(30),
            catchup_retry: Duration::from_secs(10),
            catchup_interval: Duration::from_secs(300),
            dedupe_capacity: 4096,
            page_size: 50,
        }
    }
}

/// The Twitch section. `Debug` redacts the access token.
#[derive(Clone)]
pub struct TwitchConfig {
    pub client_id: String,
    /// `TWITCH_ACCESS_TOKEN`, used when there is no token file.
    pub access_token: Option<String>,
    pub reward_title: String,
    pub min_bits: u64,
    pub bits_value: Decimal,
    pub eventsub_ws_url: String,
    /// Without a trailing slash.
    pub api_base: String,
    /// Without a trailing slash.
    pub auth_base: String,
    /// `<data dir>/twitch-token.json`.
    pub token_file: PathBuf,
    /// `<data dir>/twitch-reward.json`: the id of the reward we made.
    pub reward_file: PathBuf,
    pub tuning: TwitchTuning,
}

impl fmt::Debug for TwitchConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwitchConfig")
            .field("client_id", &self.client_id)
            .field("access_token", &self.access_token.as_ref().map(|_| "<redacted>"))
            .field("reward_title", &self.reward_title)
            .field("min_bits", &self.min_bits)
            .field("bits_value", &self.bits_value)
            .field("eventsub_ws_url", &self.eventsub_ws_url)
            .field("api_base", &self.api_base)
            .field("auth_base", &self.auth_base)
            .field("token_file", &self.token_file)
            .field("reward_file", &self.reward_file)
            .field("tuning", &self.tuning)
            .finish()
    }
}

/// Whether the streamer configured Twitch: `TWITCH_ACCESS_TOKEN` set, or a saved login in `data_dir`.
pub fn configured(lookup: Lookup<'_>, data_dir: &Path) -> bool {
    lookup("TWITCH_ACCESS_TOKEN").is_some() || data_dir.join(TOKEN_FILE_NAME).exists()
}

fn url_key(lookup: Lookup<'_>, key: &'static str, schemes: &[&str], problems: &mut Vec<ConfigProblem>) -> String {
    let value = lookup(key).unwrap_or_else(|| default_of(key).to_string());
    match url::Url::parse(&value) {
        Ok(u) if schemes.contains(&u.scheme()) && u.host().is_some() => {}
        Ok(u) => problems.push(ConfigProblem::new(
            key,
            format!("{value:?} must be a {} URL (got scheme {:?})", schemes.join("/"), u.scheme()),
        )),
        Err(e) => problems.push(ConfigProblem::new(key, format!("{value:?} is not a URL ({e})"))),
    }
    value.trim_end_matches('/').to_string()
}

impl TwitchConfig {
    /// Reads the section. `Ok(None)` when neither `TWITCH_ACCESS_TOKEN` nor the token file exists;
    /// every bad value is reported, each naming its key.
    pub fn from_lookup(lookup: Lookup<'_>, data_dir: &Path) -> Result<Option<TwitchConfig>, Vec<ConfigProblem>> {
        if !configured(lookup, data_dir) {
            return Ok(None);
        }
        Self::for_login(lookup, data_dir).map(Some)
    }

    /// Reads the section without requiring a token: what `draw-stream login twitch` needs
    /// (`TWITCH_CLIENT_ID`, `TWITCH_AUTH_BASE`, the data dir). Every bad value is reported.
    pub fn for_login(lookup: Lookup<'_>, data_dir: &Path) -> Result<TwitchConfig, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let client_id = lookup("TWITCH_CLIENT_ID").unwrap_or_default();
        if client_id.is_empty() {
            problems.push(ConfigProblem::new(
                "TWITCH_CLIENT_ID",
                "is required with a Twitch login: the Client ID of your Twitch application (dev.twitch.tv/console)",
            ));
        }
        let reward_title = lookup("TWITCH_REWARD_TITLE").unwrap_or_else(|| default_of("TWITCH_REWARD_TITLE").into());
        if reward_title.chars().count() > 45 {
            problems.push(ConfigProblem::new("TWITCH_REWARD_TITLE", "must be at most 45 characters (a Twitch limit)"));
        }
        let min_bits_text = lookup("TWITCH_MIN_BITS").unwrap_or_else(|| default_of("TWITCH_MIN_BITS").into());
        let min_bits = match min_bits_text.parse::<u64>() {
            Ok(n) => n,
            Err(_) => {
                problems.push(ConfigProblem::new(
                    "TWITCH_MIN_BITS",
                    format!("{min_bits_text:?} is not a whole number of bits (0 or more)"),
                ));
                0
            }
        };
        let bits_text = lookup("TWITCH_BITS_VALUE").unwrap_or_else(|| default_of("TWITCH_BITS_VALUE").into());
        let bits_value = match Decimal::from_str(&bits_text) {
            Ok(d) if d > Decimal::ZERO => d,
            Ok(_) => {
                problems.push(ConfigProblem::new("TWITCH_BITS_VALUE", format!("{bits_text:?} must be greater than 0")));
                Decimal::ZERO
            }
            Err(_) => {
                problems.push(ConfigProblem::new(
                    "TWITCH_BITS_VALUE",
                    format!("{bits_text:?} is not a decimal number (e.g. 0.01)"),
                ));
                Decimal::ZERO
            }
        };
        let eventsub_ws_url = url_key(lookup, "TWITCH_EVENTSUB_WS_URL", &["wss", "ws"], &mut problems);
        let api_base = url_key(lookup, "TWITCH_API_BASE", &["https", "http"], &mut problems);
        let auth_base = url_key(lookup, "TWITCH_AUTH_BASE", &["https", "http"], &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(TwitchConfig {
            client_id,
            access_token: lookup("TWITCH_ACCESS_TOKEN"),
            reward_title,
            min_bits,
            bits_value,
            eventsub_ws_url,
            api_base,
            auth_base,
            token_file: data_dir.join(TOKEN_FILE_NAME),
            reward_file: data_dir.join(REWARD_FILE_NAME),
            tuning: TwitchTuning::default(),
        })
    }

    /// `{auth_base}/{path}`.
    pub(crate) fn auth_url(&self, path: &str) -> String {
        format!("{}/{path}", self.auth_base)
    }

    /// `{api_base}/{path}`.
    pub(crate) fn api_url(&self, path: &str) -> String {
        format!("{}/{path}", self.api_base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<TwitchConfig>, Vec<ConfigProblem>> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let lookup = move |k: &str| map.get(k).cloned();
        TwitchConfig::from_lookup(&lookup, Path::new("/nonexistent-draw-stream-dir"))
    }

    #[test]
    fn not_configured_without_a_token() {
        assert!(read(&[("TWITCH_CLIENT_ID", "abc")]).unwrap().is_none());
        let lookup = |k: &str| (k == "TWITCH_CLIENT_ID").then(|| "abc".to_string());
        let login = TwitchConfig::for_login(&lookup, Path::new("/data")).unwrap();
        assert_eq!(login.token_file, Path::new("/data/twitch-token.json"));
    }

    #[test]
    fn defaults_and_redacted_debug() {
        let cfg = read(&[("TWITCH_CLIENT_ID", "abc"), ("TWITCH_ACCESS_TOKEN", "sekrit-token")]).unwrap().unwrap();
        assert_eq!(cfg.reward_title, "Draw");
        assert_eq!(cfg.min_bits, 100);
        assert_eq!(cfg.bits_value.to_string(), "0.01");
        assert_eq!(cfg.eventsub_ws_url, "wss://eventsub.wss.twitch.tv/ws");
        assert_eq!(cfg.api_url("eventsub/subscriptions"), "https://api.twitch.tv/helix/eventsub/subscriptions");
        assert_eq!(cfg.auth_url("validate"), "https://id.twitch.tv/oauth2/validate");
        assert!(!format!("{cfg:?}").contains("sekrit"));
    }

    #[test]
    fn every_bad_value_is_named() {
        let problems = read(&[
            ("TWITCH_ACCESS_TOKEN", "t"),
            ("TWITCH_MIN_BITS", "-5"),
            ("TWITCH_BITS_VALUE", "one cent"),
            ("TWITCH_API_BASE", "not a url"),
            ("TWITCH_AUTH_BASE", "ftp://x.example"),
            ("TWITCH_EVENTSUB_WS_URL", "https://eventsub.example"),
        ])
        .unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key).collect();
        for key in [
            "TWITCH_CLIENT_ID",
            "TWITCH_MIN_BITS",
            "TWITCH_BITS_VALUE",
            "TWITCH_API_BASE",
            "TWITCH_AUTH_BASE",
            "TWITCH_EVENTSUB_WS_URL",
        ] {
            assert!(keys.contains(&key), "{key} missing from {problems:?}");
        }
    }

    #[test]
    fn keys_are_documented() {
        assert_eq!(KEYS.len(), 8);
        assert!(KEYS.iter().all(|k| k.name.starts_with("TWITCH_") && !k.doc.is_empty()));
    }
}
