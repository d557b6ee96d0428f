//! Donation Alerts on the source seam: its configuration section, and [`DonationAlerts`], which
//! runs the intake with the service's sink.
//!
//! The intake itself speaks [`DaDonation`] and a numeric watermark (its own [`DonationSink`]); this
//! module turns them into the seam's [`Incoming`] and the journal's opaque watermark string.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use source::{ConfigProblem, DonationSource, Incoming, Key, Lookup, Sink, Source, SourceError, SourceKind, Status};

use crate::config::{DaConfig, DEFAULT_API_BASE, DEFAULT_OAUTH_BASE, TOKEN_FILE_NAME};
use crate::donation::DaDonation;
use crate::sink::{DonationSink, SinkError};

/// The journal's name for this source.
pub const NAME: Source = Source::DONATION_ALERTS;

/// The Donation Alerts section of the configuration (the original's names, plus the login's).
pub const KEYS: &[Key] = &[
    Key {
        name: "DA_WS_URL",
        default: Some("https://centrifugo.donationalerts.com/connection/websocket"),
        doc: "Donation Alerts Centrifugo WebSocket",
    },
    Key { name: "DA_API_BASE", default: Some(DEFAULT_API_BASE), doc: "Donation Alerts REST API base" },
    Key {
        name: "DA_ACCESS_TOKEN",
        default: None,
        doc: "Donation Alerts OAuth access token (or use `draw-stream login donationalerts`)",
    },
    Key { name: "DA_USER_ID", default: None, doc: "Donation Alerts numeric user id (optional; read from /user/oauth)" },
    Key {
        name: "DA_REST_POLL_INTERVAL_SEC",
        default: Some("30"),
        doc: "REST catch-up interval while the socket is down",
    },
    Key { name: "DA_CLIENT_ID", default: None, doc: "Donation Alerts OAuth application id (login, refresh)" },
    Key { name: "DA_CLIENT_SECRET", default: None, doc: "Donation Alerts OAuth application secret" },
    Key { name: "DA_OAUTH_BASE", default: Some(DEFAULT_OAUTH_BASE), doc: "Donation Alerts OAuth base URL" },
];

/// How the service finds, checks and builds this source.
pub const KIND: SourceKind = SourceKind { name: NAME, label: "Donation Alerts", keys: KEYS, configured, build };

/// Configured when there is a token to use: `DA_ACCESS_TOKEN`, or the file `login` saved.
pub fn configured(lookup: Lookup<'_>, data_dir: &Path) -> bool {
    lookup("DA_ACCESS_TOKEN").is_some() || data_dir.join(TOKEN_FILE_NAME).exists()
}

fn build(lookup: Lookup<'_>, data_dir: &Path) -> Result<Option<Arc<dyn DonationSource>>, Vec<ConfigProblem>> {
    let cfg = DaConfig::from_section(lookup, data_dir)?;
    // An application without a login yet still runs, to say "login needed" on the HUD.
    Ok(cfg.is_configured().then(|| Arc::new(DonationAlerts::new(cfg)) as Arc<dyn DonationSource>))
}

impl DaConfig {
    /// Reads this source's section, reporting every bad value (not just the first) by key.
    pub fn from_section(lookup: Lookup<'_>, data_dir: &Path) -> Result<DaConfig, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let mut cfg = DaConfig { token_file: data_dir.join(TOKEN_FILE_NAME), ..DaConfig::default() };
        for (key, field) in
            [("DA_WS_URL", &mut cfg.ws_url), ("DA_API_BASE", &mut cfg.api_base), ("DA_OAUTH_BASE", &mut cfg.oauth_base)]
        {
            if let Some(v) = lookup(key) {
                *field = v.trim_end_matches('/').to_owned();
            }
        }
        cfg.access_token = lookup("DA_ACCESS_TOKEN");
        cfg.client_id = lookup("DA_CLIENT_ID");
        cfg.client_secret = lookup("DA_CLIENT_SECRET");
        if let Some(v) = lookup("DA_USER_ID") {
            match v.parse::<i64>() {
                Ok(n) if n > 0 => cfg.user_id = Some(n),
                _ => problems.push(ConfigProblem::new("DA_USER_ID", format!("{v:?} is not a positive integer"))),
            }
        }
        if let Some(v) = lookup("DA_REST_POLL_INTERVAL_SEC") {
            match v.parse::<f64>() {
                Ok(s) if s.is_finite() && (1.0..=86_400.0).contains(&s) => {
                    cfg.poll_interval = Duration::from_secs_f64(s)
                }
                Ok(_) => problems.push(ConfigProblem::new(
                    "DA_REST_POLL_INTERVAL_SEC",
                    format!("{v} is out of range (1..=86400 seconds)"),
                )),
                Err(_) => problems
                    .push(ConfigProblem::new("DA_REST_POLL_INTERVAL_SEC", format!("{v:?} is not a number of seconds"))),
            }
        }
        if let Err(e) = cfg.websocket_url() {
            problems.push(ConfigProblem::new("DA_WS_URL", format!("{:?}: {e}", cfg.ws_url)));
        }
        for (key, value) in [("DA_API_BASE", &cfg.api_base), ("DA_OAUTH_BASE", &cfg.oauth_base)] {
            let ok = url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                problems.push(ConfigProblem::new(key, format!("{value:?} is not an http(s) URL")));
            }
        }
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(problems)
        }
    }
}

/// Donation Alerts as a donation source.
pub struct DonationAlerts {
    cfg: DaConfig,
}

impl DonationAlerts {
    pub fn new(cfg: DaConfig) -> DonationAlerts {
        DonationAlerts { cfg }
    }

    /// The configuration it runs with (for `login`).
    pub fn config(&self) -> &DaConfig {
        &self.cfg
    }
}

#[async_trait]
impl DonationSource for DonationAlerts {
    fn name(&self) -> Source {
        NAME
    }

    fn label(&self) -> &'static str {
        KIND.label
    }

    async fn run(
        self: Arc<Self>,
        sink: Arc<dyn Sink>,
        status: source::watch::Sender<Status>,
        shutdown: source::CancellationToken,
    ) -> Result<(), SourceError> {
        let sink: Arc<dyn DonationSink> = Arc::new(Seam { sink });
        crate::run(self.cfg.clone(), sink, status, shutdown).await.map_err(|e| SourceError::new(e.to_string()))
    }
}

/// The intake's sink over the seam's.
struct Seam {
    sink: Arc<dyn Sink>,
}

/// A Donation Alerts donation as the seam carries it.
pub fn incoming(d: DaDonation) -> Incoming {
    Incoming {
        source: NAME,
        source_id: d.id.to_string(),
        donor: d.donor,
        message: d.message,
        amount: d.amount,
        currency: d.currency,
        amount_user: d.amount_in_user_currency,
        message_type: d.message_type,
    }
}

#[async_trait]
impl DonationSink for Seam {
    async fn deliver(&self, d: DaDonation) -> Result<(), SinkError> {
        self.sink.deliver(incoming(d)).await.map(|_| ())
    }

    async fn load_watermark(&self) -> Result<Option<i64>, SinkError> {
        let v = self.sink.load_watermark().await?;
        Ok(v.and_then(|s| s.parse().ok()))
    }

    async fn store_watermark(&self, id: i64) -> Result<(), SinkError> {
        self.sink.store_watermark(&id.to_string()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_key_is_named() {
        let env = |k: &str| match k {
            "DA_USER_ID" => Some("-3".to_string()),
            "DA_REST_POLL_INTERVAL_SEC" => Some("0.1".to_string()),
            "DA_API_BASE" => Some("ftp://x".to_string()),
            "DA_WS_URL" => Some("nope".to_string()),
            _ => None,
        };
        let problems = DaConfig::from_section(&env, Path::new("/data")).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key).collect();
        assert_eq!(keys, ["DA_USER_ID", "DA_REST_POLL_INTERVAL_SEC", "DA_WS_URL", "DA_API_BASE"]);
    }

    #[test]
    fn configured_by_a_token_or_a_saved_login() {
        let dir = std::env::temp_dir().join(format!("da-seam-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let none = |_: &str| None;
        assert!(!configured(&none, &dir));
        assert!(build(&none, &dir).unwrap().is_none());
        let token = |k: &str| (k == "DA_ACCESS_TOKEN").then(|| "tok".to_string());
        let built = build(&token, &dir).unwrap().expect("configured");
        assert_eq!(built.name().as_str(), "donationalerts");
        std::fs::write(dir.join(TOKEN_FILE_NAME), "{}").unwrap();
        assert!(configured(&none, &dir), "a saved login configures it");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
