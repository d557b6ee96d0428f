//! The token file: `<data dir>/twitch-token.json`, created with mode 0600 (never widened, never
//! chmod-ed afterwards: a fresh temp file is created 0600 and renamed over the old one).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What `login` and every refresh store. `Debug` redacts both tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    pub access_token: String,
    /// Twitch rotates it on every refresh (one-time use for public clients).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Unix seconds after which the access token is expired, when Twitch said.
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// Unix seconds when the token was obtained.
    #[serde(default)]
    pub obtained_at: u64,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("obtained_at", &self.obtained_at)
            .finish()
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl StoredToken {
    /// Reads an `/oauth2/token` reply (device code or refresh grant).
    pub(crate) fn from_token_response(body: &Value, previous_refresh: Option<&str>) -> Option<StoredToken> {
        let access_token = body.get("access_token").and_then(Value::as_str).filter(|s| !s.is_empty())?.to_string();
        let refresh_token = body
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .or_else(|| previous_refresh.map(str::to_string));
        let now = unix_now();
        let expires_at = body.get("expires_in").and_then(Value::as_u64).filter(|s| *s > 0).map(|s| now + s);
        Some(StoredToken { access_token, refresh_token, expires_at, obtained_at: now })
    }
}

/// Why the token file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("token file {path}: {source}")]
pub struct TokenFileError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// The token file on disk.
#[derive(Debug, Clone)]
pub struct TokenFile {
    path: PathBuf,
}

impl TokenFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TokenFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: std::io::Error) -> TokenFileError {
        TokenFileError { path: self.path.display().to_string(), source }
    }

    /// Reads the token; `Ok(None)` when there is no file.
    pub fn load(&self) -> Result<Option<StoredToken>, TokenFileError> {
        source::read_json_secret(&self.path).map_err(|e| self.err(e))
    }

    /// Writes atomically: a new temp file created with mode 0600, then renamed over the old file.
    pub fn save(&self, token: &StoredToken) -> Result<(), TokenFileError> {
        source::write_json_secret(&self.path, token).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_reply_and_redaction() {
        let t = StoredToken::from_token_response(
            &json!({"access_token":"acc-1","expires_in":14542,"refresh_token":"ref-1","token_type":"bearer"}),
            None,
        )
        .unwrap();
        assert_eq!(t.refresh_token.as_deref(), Some("ref-1"));
        assert!(t.expires_at.unwrap() > unix_now() + 14_000);
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("acc-1") && !dbg.contains("ref-1"));
        assert!(StoredToken::from_token_response(&json!({"status":400}), None).is_none());
    }

    #[test]
    fn save_is_0600_and_round_trips() {
        let dir = std::env::temp_dir().join(format!("twitch-token-unit-{}", std::process::id()));
        let file = TokenFile::new(dir.join("twitch-token.json"));
        let t =
            StoredToken { access_token: "a".into(), refresh_token: Some("r".into()), expires_at: None, obtained_at: 1 };
        file.save(&t).unwrap();
        file.save(&t).unwrap();
        assert_eq!(file.load().unwrap(), Some(t));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
